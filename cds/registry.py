"""The CDS services this server offers: the built-in ones and one per enabled rule."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cds.cards import Card
from cds.prefetch import PrefetchData
from cds.request import CdsRequest


@dataclass(frozen=True)
class CdsCall:
    """What a service's `run` receives: the checked request, its data, and the time."""

    request: CdsRequest
    data: PrefetchData
    now: datetime


@dataclass(frozen=True)
class ServiceDefinition:
    id: str
    hooks: tuple[str, ...]
    title: str
    description: str
    run: Callable[[CdsCall], list[Card]]
    prefetch: dict[str, str] = field(default_factory=dict)
    usage_requirements: str | None = None
    rule_version_id: int | None = None  # set for services made from a rule

    @property
    def origin(self) -> str:
        return "rule" if self.rule_version_id is not None else "built-in"

    def discovery_entries(self) -> list[dict[str, Any]]:
        """One discovery entry per hook (the spec lets one id serve several hooks)."""
        entries = []
        for hook in self.hooks:
            entry: dict[str, Any] = {
                "hook": hook,
                "id": self.id,
                "title": self.title,
                "description": self.description,
            }
            if self.prefetch:
                entry["prefetch"] = dict(self.prefetch)
            if self.usage_requirements:
                entry["usageRequirements"] = self.usage_requirements
            entries.append(entry)
        return entries


def all_services() -> list[ServiceDefinition]:
    from cds.rules.engine import enabled_rule_services
    from cds.services import BUILT_IN

    return [*BUILT_IN, *enabled_rule_services()]


def find_service(service_id: str) -> ServiceDefinition | None:
    from cds.rules.engine import enabled_rule_service
    from cds.services import BUILT_IN

    if service_id.startswith("rule-"):
        return enabled_rule_service(service_id.removeprefix("rule-"))
    return next((s for s in BUILT_IN if s.id == service_id), None)
