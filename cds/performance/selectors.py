"""Reads for the CDS service performance page: per service (built-in, rule, external) the cards
shown, accepted and overridden over a period, and the most common override reasons."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from cds.feedback import acceptance_rate
from cds.models import CardFeedback, ExternalCdsService, IssuedCard
from cds.rules.engine import latest_versions
from cds.services import BUILT_IN

PERIODS = (7, 30, 90)
TOP_REASONS = 3
NO_REASON = "no coded reason (comment only)"

Key = tuple[int | None, str]  # (the external provider's id, or None for ours; the service id)


@dataclass(frozen=True)
class OverrideReason:
    label: str
    count: int


@dataclass
class ServicePerformance:
    service_id: str
    title: str
    origin: str  # "built-in", "rule", the external provider's title, or "unknown"
    shown: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: list[OverrideReason] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return acceptance_rate(accepted=self.accepted, overridden=self.overridden)


def service_performance(*, days: int) -> list[ServicePerformance]:
    """Every service offered (and any other with cards or feedback in the period): built-in
    services, then rules, then external providers' services. Two aggregate queries whatever the
    number of services, besides listing the rules and providers."""
    since = timezone.now() - timedelta(days=days)
    providers = list(ExternalCdsService.objects.order_by("title"))
    rows = _offered_services(providers)
    titles = {p.pk: p.title for p in providers}
    issued = (
        IssuedCard.objects.filter(issued_at__gte=since)
        .values_list("provider_id", "service_id")
        .annotate(n=Count("uuid"))
        .order_by()
    )
    for provider_id, service_id, n in issued:
        _row(rows, (provider_id, service_id), titles).shown = n
    reasons: dict[Key, Counter] = {}
    for provider_id, service_id, outcome, code, display, n in _feedback_counts(since):
        row = _row(rows, (provider_id, service_id), titles)
        if outcome == CardFeedback.Outcome.ACCEPTED:
            row.accepted += n
        else:
            row.overridden += n
            label = display or code or NO_REASON
            reasons.setdefault((provider_id, service_id), Counter())[label] += n
    for key, counter in reasons.items():
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        rows[key].reasons = [OverrideReason(label, n) for label, n in ranked[:TOP_REASONS]]
    return list(rows.values())


def _feedback_counts(since: datetime) -> QuerySet:
    """(provider, service, outcome, reason code, reason display, cards) for the period."""
    return (
        CardFeedback.objects.filter(received_at__gte=since)
        .annotate(code=KT("override_reason__code"), display=KT("override_reason__display"))
        .values_list("provider_id", "service_id", "outcome", "code", "display")
        .annotate(n=Count("card_uuid", distinct=True))
        .order_by()
    )


def _offered_services(providers: list[ExternalCdsService]) -> dict[Key, ServicePerformance]:
    rows = {(None, s.id): ServicePerformance(s.id, s.title, "built-in") for s in BUILT_IN}
    for version in sorted(latest_versions(enabled_only=False), key=lambda v: v.rule.slug):
        service_id = version.rule.service_id
        rows[(None, service_id)] = ServicePerformance(service_id, version.title, "rule")
    for provider in providers:
        for entry in provider.services:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                title = entry.get("title") or entry["id"]
                key = (provider.pk, entry["id"])
                rows.setdefault(key, ServicePerformance(entry["id"], title, provider.title))
    return rows


def _row(
    rows: dict[Key, ServicePerformance], key: Key, titles: dict[int, str]
) -> ServicePerformance:
    """The key's row, added for a service no longer offered (a provider's retired service)."""
    provider_id, service_id = key
    if key not in rows:
        origin = titles.get(provider_id, "unknown") if provider_id else "unknown"
        rows[key] = ServicePerformance(service_id, service_id, origin)
    return rows[key]
