"""Cards issued and the feedback CDS clients send on them (CDS Hooks 2.0 "Feedback")."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from cds.cards import Card
from cds.fhir_values import parse_datetime
from cds.models import CardFeedback, CdsClient, ExternalCdsService, IssuedCard, Rule
from cds.request import CdsRequest, CdsRequestError

OUTCOMES = ("accepted", "overridden")


@dataclass(frozen=True)
class FeedbackItem:
    card: str
    outcome: str
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: dict[str, Any] | None = None
    user_comment: str = ""


def parse_feedback(data: dict[str, Any]) -> list[FeedbackItem]:
    items = data.get("feedback")
    if not isinstance(items, list) or not items:
        raise CdsRequestError("feedback is required and must be a non-empty array")
    return [_item(item, f"feedback[{i}]") for i, item in enumerate(items)]


def _item(item: Any, where: str) -> FeedbackItem:
    if not isinstance(item, dict):
        raise CdsRequestError(f"{where} must be an object")
    if not isinstance(item.get("card"), str) or not item["card"]:
        raise CdsRequestError(f"{where}.card (the card's uuid) is required")
    outcome = item.get("outcome")
    if outcome not in OUTCOMES:
        raise CdsRequestError(f"{where}.outcome must be accepted or overridden")
    when = item.get("outcomeTimestamp")
    parsed = parse_datetime(when) if isinstance(when, str) and "T" in when else None
    if parsed is None:
        raise CdsRequestError(f"{where}.outcomeTimestamp must be an ISO 8601 UTC date-time")
    return FeedbackItem(
        card=item["card"],
        outcome=outcome,
        outcome_timestamp=parsed,
        accepted_suggestions=_accepted(item, where),
        **_override(item, where),
    )


def _accepted(item: dict[str, Any], where: str) -> tuple[str, ...]:
    accepted = item.get("acceptedSuggestions")
    if item["outcome"] == "overridden":
        return ()
    if not isinstance(accepted, list) or not accepted:
        raise CdsRequestError(f"{where}.acceptedSuggestions is required for accepted outcomes")
    if not all(isinstance(a, dict) and isinstance(a.get("id"), str) for a in accepted):
        raise CdsRequestError(f"{where}.acceptedSuggestions items must be objects with an id")
    return tuple(a["id"] for a in accepted)


def _override(item: dict[str, Any], where: str) -> dict[str, Any]:
    reason = item.get("overrideReason")
    if reason is None:
        return {}
    if not isinstance(reason, dict):
        raise CdsRequestError(f"{where}.overrideReason must be an object")
    coding = reason.get("reason")
    if coding is not None and not (
        isinstance(coding, dict) and isinstance(coding.get("code"), str)
    ):
        raise CdsRequestError(f"{where}.overrideReason.reason must be a Coding with a code")
    comment = reason.get("userComment", "")
    if not isinstance(comment, str):
        raise CdsRequestError(f"{where}.overrideReason.userComment must be a string")
    return {"override_reason": coding, "user_comment": comment}


@transaction.atomic
def feedback_record(
    *,
    service_id: str,
    items: list[FeedbackItem],
    client: CdsClient | None,
    user: AbstractBaseUser | None = None,
    provider: ExternalCdsService | None = None,
) -> list[CardFeedback]:
    """Store feedback (from a CDS client, or from our workspace's `user`), linked to the issued
    card and its rule where we know them; with `provider`, feedback our workspace sent to that
    external provider's service."""
    issued = {} if provider else _issued_cards(items)
    rule = None if provider else _rule_of(service_id)
    return CardFeedback.objects.bulk_create(
        CardFeedback(
            service_id=service_id,
            provider=provider,
            card_uuid=item.card,
            card=issued.get(item.card),
            rule=_card_rule(issued.get(item.card)) or rule,
            outcome=item.outcome,
            accepted_suggestions=list(item.accepted_suggestions),
            override_reason=item.override_reason,
            user_comment=item.user_comment,
            outcome_timestamp=item.outcome_timestamp,
            client=client,
            user=user,
        )
        for item in items
    )


def cards_record_issued(
    *, service_id: str, rule_version_id: int | None, request: CdsRequest, cards: list[Card]
) -> None:
    IssuedCard.objects.bulk_create(
        IssuedCard(
            uuid=card.uuid,
            service_id=service_id,
            rule_version_id=rule_version_id,
            hook=request.hook,
            hook_instance=request.hook_instance,
            patient_id=request.patient_id or "",
            summary=card.summary[:200],
            indicator=card.indicator,
        )
        for card in cards
    )


def cards_record_shown(
    *, provider: ExternalCdsService, service_id: str, request: CdsRequest, cards: list[dict]
) -> None:
    """External cards shown in the workspace, counted as issued by their provider's service."""
    IssuedCard.objects.bulk_create(
        IssuedCard(
            uuid=uuid.uuid4(),
            service_id=service_id,
            provider=provider,
            hook=request.hook,
            hook_instance=request.hook_instance,
            patient_id=request.patient_id or "",
            summary=card["summary"][:200],
            indicator=card["indicator"],
        )
        for card in cards
    )


def acceptance_rate(*, accepted: int, overridden: int) -> float | None:
    """Accepted cards over cards with feedback (accepted or overridden); None without any."""
    answered = accepted + overridden
    return accepted / answered if answered else None


def feedback_accepted_for(service_id: str) -> bool:
    """Feedback is taken for built-in services and for every rule, even one disabled since."""
    from cds.services import BUILT_IN

    return any(s.id == service_id for s in BUILT_IN) or _rule_of(service_id) is not None


def _rule_of(service_id: str) -> Rule | None:
    if not service_id.startswith("rule-"):
        return None
    return Rule.objects.filter(slug=service_id.removeprefix("rule-")).first()


def _issued_cards(items: list[FeedbackItem]) -> dict[str, IssuedCard]:
    return {
        str(card.uuid): card
        for card in IssuedCard.objects.select_related("rule_version").filter(
            uuid__in=[i.card for i in items if _is_uuid(i.card)]
        )
    }


def _card_rule(card: IssuedCard | None) -> Rule | None:
    return card.rule_version.rule if card and card.rule_version else None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
