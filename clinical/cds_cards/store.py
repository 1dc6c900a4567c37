"""Cards shown to a user are kept in their session (by card key) until they act on them: the
accept/override posts name a card, never carry it."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from cds.client import CardResult

SESSION_KEY = "workspace-cds-cards"
KEEP = 60


@dataclass(frozen=True)
class ShownCard:
    key: str
    patient_id: str
    # "patient-view", "order-select", "order-sign:<Type>/<id>", "encounter-discharge:<id>"...
    context: str
    result: CardResult

    @property
    def card(self) -> dict[str, Any]:
        return self.result.card or {}

    @property
    def indicator(self) -> str:
        return self.card.get("indicator", "info")

    @property
    def needs_reason(self) -> bool:
        """Warnings and critical cards must be overridden with a reason before signing."""
        return self.indicator in ("warning", "critical")

    @property
    def override_reasons(self) -> list[dict[str, Any]]:
        return [r for r in self.card.get("overrideReasons") or [] if isinstance(r, dict)]

    @property
    def suggestions(self) -> list[dict[str, Any]]:
        return [s for s in self.card.get("suggestions") or [] if isinstance(s, dict)]

    @property
    def links(self) -> list[dict[str, Any]]:
        return [
            link
            for link in self.card.get("links") or []
            if isinstance(link, dict)
            and link.get("type", "absolute") == "absolute"
            and str(link.get("url", "")).startswith(("https://", "http://"))
        ]


def cards_keep(
    *, session: SessionBase, patient_id: str, context: str, results: list[CardResult]
) -> list[ShownCard]:
    """Keep the cards of one hook call (replacing earlier ones of the same context)."""
    kept: dict[str, dict[str, Any]] = {
        k: v
        for k, v in session.get(SESSION_KEY, {}).items()
        if not (v["patient_id"] == patient_id and v["context"] == context)
    }
    shown = []
    for result in results:
        if result.card is None:
            continue
        key = str((result.card or {}).get("uuid") or uuid.uuid4())
        kept[key] = {
            "patient_id": patient_id,
            "context": context,
            "service_id": result.service_id,
            "service_title": result.service_title,
            "origin": result.origin,
            "card": result.card,
        }
        shown.append(ShownCard(key, patient_id, context, result))
    session[SESSION_KEY] = dict(list(kept.items())[-KEEP:])
    return shown


def card_find(*, session: SessionBase, patient_id: str, key: str) -> ShownCard | None:
    data = session.get(SESSION_KEY, {}).get(key)
    if data is None or data["patient_id"] != patient_id:
        return None
    result = CardResult(
        data["service_id"], data["service_title"], data["origin"], card=data["card"]
    )
    return ShownCard(key, patient_id, data["context"], result)


def cards_for(*, session: SessionBase, patient_id: str, context: str) -> list[ShownCard]:
    return [
        shown
        for key in session.get(SESSION_KEY, {})
        if (shown := card_find(session=session, patient_id=patient_id, key=key))
        and shown.context == context
    ]


def card_forget(*, session: SessionBase, key: str) -> None:
    kept = dict(session.get(SESSION_KEY, {}))
    if kept.pop(key, None) is not None:
        session[SESSION_KEY] = kept
