"""CDS Hooks 2.0 response values (cards, suggestions, actions, links) and the checks a response
must pass, used on what our services produce and on what external services send back."""

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

INDICATORS = ("info", "warning", "critical")
SELECTION_BEHAVIORS = ("at-most-one", "any")
ACTION_TYPES = ("create", "update", "delete")
LINK_TYPES = ("absolute", "smart")
SUMMARY_MAX = 140
OVERRIDE_SYSTEM = "http://wintehr.dev/fhir/CodeSystem/cds-override-reason"


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Coding:
    code: str
    display: str
    system: str = OVERRIDE_SYSTEM

    def as_json(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class Source:
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label}
        if self.url:
            data["url"] = self.url
        if self.icon:
            data["icon"] = self.icon
        if self.topic:
            data["topic"] = self.topic.as_json()
        return data


@dataclass(frozen=True)
class Action:
    type: str
    description: str
    resource: dict[str, Any] | None = None
    resource_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.resource is not None:
            data["resource"] = self.resource
        if self.resource_id is not None:
            data["resourceId"] = self.resource_id
        return data


@dataclass(frozen=True)
class Suggestion:
    label: str
    actions: tuple[Action, ...] = ()
    is_recommended: bool | None = None
    uuid: str = field(default_factory=new_uuid)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "uuid": self.uuid}
        if self.is_recommended is not None:
            data["isRecommended"] = self.is_recommended
        if self.actions:
            data["actions"] = [a.as_json() for a in self.actions]
        return data


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    type: str = "absolute"
    app_context: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "url": self.url, "type": self.type}
        if self.app_context is not None:
            data["appContext"] = self.app_context
        return data


@dataclass(frozen=True)
class Card:
    summary: str
    indicator: str
    source: Source
    detail: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selection_behavior: str | None = None
    override_reasons: tuple[Coding, ...] = ()
    links: tuple[Link, ...] = ()
    uuid: str = field(default_factory=new_uuid)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "uuid": self.uuid,
            "summary": clip(self.summary),
            "indicator": self.indicator,
            "source": self.source.as_json(),
        }
        if self.detail:
            data["detail"] = self.detail
        if self.suggestions:
            data["suggestions"] = [s.as_json() for s in self.suggestions]
            data["selectionBehavior"] = self.selection_behavior or "at-most-one"
        if self.override_reasons:
            data["overrideReasons"] = [r.as_json() for r in self.override_reasons]
        if self.links:
            data["links"] = [link.as_json() for link in self.links]
        return data


def clip(text: str, limit: int = SUMMARY_MAX - 1) -> str:
    """Text cut to fit the spec's "<140-character" summary."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- checking responses ---------------------------------------------------------------------------


def response_errors(data: Any) -> list[str]:
    """What makes `data` an invalid CDS Hooks service response; empty when valid."""
    if not isinstance(data, dict):
        return ["the response must be a JSON object"]
    cards = data.get("cards")
    if not isinstance(cards, list):
        return ["cards is required and must be an array"]
    errors = [e for i, card in enumerate(cards) for e in card_errors(card, f"cards[{i}]")]
    actions = data.get("systemActions", [])
    if not isinstance(actions, list):
        errors.append("systemActions must be an array")
    else:
        for i, action in enumerate(actions):
            errors += _action_errors(action, f"systemActions[{i}]", description_required=False)
    return errors


def card_errors(card: Any, where: str = "card") -> list[str]:
    if not isinstance(card, dict):
        return [f"{where} must be an object"]
    errors = []
    summary = card.get("summary")
    if not isinstance(summary, str) or not summary:
        errors.append(f"{where}.summary is required")
    elif len(summary) > SUMMARY_MAX:
        errors.append(f"{where}.summary is longer than {SUMMARY_MAX} characters")
    if card.get("indicator") not in INDICATORS:
        errors.append(f"{where}.indicator must be one of {', '.join(INDICATORS)}")
    errors += _source_errors(card.get("source"), f"{where}.source")
    for name in ("uuid", "detail"):
        if name in card and not isinstance(card[name], str):
            errors.append(f"{where}.{name} must be a string")
    suggestions = card.get("suggestions")
    if suggestions is not None:
        errors += _suggestions_errors(suggestions, card.get("selectionBehavior"), where)
    errors += _codings_errors(card.get("overrideReasons"), f"{where}.overrideReasons")
    errors += _links_errors(card.get("links"), f"{where}.links")
    return errors


def _source_errors(source: Any, where: str) -> list[str]:
    if not isinstance(source, dict) or not isinstance(source.get("label"), str):
        return [f"{where} is required and must have a label"]
    errors = [
        f"{where}.{name} must be an absolute http(s) URL"
        for name in ("url", "icon")
        if name in source and not _absolute_url(source[name])
    ]
    if "topic" in source and not isinstance(source["topic"], dict):
        errors.append(f"{where}.topic must be a Coding")
    return errors


def _suggestions_errors(suggestions: Any, behavior: Any, where: str) -> list[str]:
    if not isinstance(suggestions, list):
        return [f"{where}.suggestions must be an array"]
    errors = []
    if suggestions and behavior not in SELECTION_BEHAVIORS:
        errors.append(f"{where}.selectionBehavior must be at-most-one or any with suggestions")
    for i, suggestion in enumerate(suggestions):
        at = f"{where}.suggestions[{i}]"
        if not isinstance(suggestion, dict) or not isinstance(suggestion.get("label"), str):
            errors.append(f"{at}.label is required")
            continue
        if "isRecommended" in suggestion and not isinstance(suggestion["isRecommended"], bool):
            errors.append(f"{at}.isRecommended must be a boolean")
        actions = suggestion.get("actions", [])
        if not isinstance(actions, list):
            errors.append(f"{at}.actions must be an array")
            continue
        for j, action in enumerate(actions):
            errors += _action_errors(action, f"{at}.actions[{j}]", description_required=True)
    return errors


def _action_errors(action: Any, where: str, *, description_required: bool) -> list[str]:
    if not isinstance(action, dict):
        return [f"{where} must be an object"]
    errors = []
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        errors.append(f"{where}.type must be one of {', '.join(ACTION_TYPES)}")
    if description_required and not isinstance(action.get("description"), str):
        errors.append(f"{where}.description is required")
    resource = action.get("resource")
    if kind in ("create", "update") and not (
        isinstance(resource, dict) and isinstance(resource.get("resourceType"), str)
    ):
        errors.append(f"{where}.resource must be a FHIR resource for {kind}")
    if kind == "delete" and not (
        isinstance(action.get("resourceId"), str) or isinstance(resource, str)
    ):
        errors.append(f"{where}.resourceId is required for delete")
    return errors


def _codings_errors(codings: Any, where: str) -> list[str]:
    if codings is None:
        return []
    if not isinstance(codings, list):
        return [f"{where} must be an array"]
    return [
        f"{where}[{i}] must be a Coding with code and display"
        for i, c in enumerate(codings)
        if not (isinstance(c, dict) and isinstance(c.get("code"), str) and c.get("display"))
    ]


def _links_errors(links: Any, where: str) -> list[str]:
    if links is None:
        return []
    if not isinstance(links, list):
        return [f"{where} must be an array"]
    errors = []
    for i, link in enumerate(links):
        at = f"{where}[{i}]"
        if not isinstance(link, dict) or not isinstance(link.get("label"), str):
            errors.append(f"{at}.label is required")
            continue
        if not _absolute_url(link.get("url")):  # never javascript: or data: in a clinician's page
            errors.append(f"{at}.url must be an absolute http(s) URL")
        if link.get("type") not in LINK_TYPES:
            errors.append(f"{at}.type must be absolute or smart")
        if "appContext" in link and link.get("type") != "smart":
            errors.append(f"{at}.appContext is only valid on smart links")
    return errors


def _absolute_url(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme.lower() in ("http", "https") and parts.netloc)
