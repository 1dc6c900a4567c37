"""Calling the hooks (patient-view, order-select, order-sign, encounter-discharge) and acting on
cards. Accepting applies the suggestion's actions in one transaction
(cds.client.apply_suggestion) and sends feedback; overriding sends feedback with the reason.
Both are audited."""

import logging
import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from cds.client import CardResult, apply_suggestion, call_hooks, send_feedback
from clinical.fhir.practitioners import practitioner_ensure, practitioner_reference
from clinical.fhir.reads import repository_for
from clinical.fhir.writes import audit_write
from fhirapi.errors import FhirError

logger = logging.getLogger(__name__)
ORDER_SELECT = "order-select"
COMPOSING = "composing-"  # the made-up id of the order being composed (order-select)


def patient_view_cards(*, user: AbstractBaseUser, patient_id: str) -> list[CardResult]:
    return call_hooks(
        hook="patient-view",
        context={"userId": practitioner_reference(user)["reference"]},
        user=user,
        patient_id=patient_id,
    )


def order_sign_cards(
    *, user: AbstractBaseUser, patient_id: str, drafts: list[dict[str, Any]]
) -> list[CardResult]:
    return call_hooks(
        hook="order-sign",
        context={
            "userId": practitioner_reference(user)["reference"],
            "draftOrders": _draft_orders(drafts),
        },
        user=user,
        patient_id=patient_id,
    )


def order_select_cards(
    *, user: AbstractBaseUser, patient_id: str, draft: dict[str, Any]
) -> list[CardResult]:
    """order-select for the order being composed (`draft`: not stored; it gets a made-up id)."""
    draft = draft | {"id": f"{COMPOSING}{uuid.uuid4().hex}"}
    return call_hooks(
        hook=ORDER_SELECT,
        context={
            "userId": practitioner_reference(user)["reference"],
            "selections": [f"{draft['resourceType']}/{draft['id']}"],
            "draftOrders": _draft_orders([draft]),
        },
        user=user,
        patient_id=patient_id,
    )


def _draft_orders(drafts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"{d['resourceType']}/{d['id']}", "resource": d} for d in drafts],
    }


def encounter_discharge_cards(
    *, user: AbstractBaseUser, patient_id: str, encounter_id: str
) -> list[CardResult]:
    return call_hooks(
        hook="encounter-discharge",
        context={"userId": practitioner_reference(user)["reference"], "encounterId": encounter_id},
        user=user,
        patient_id=patient_id,
    )


@transaction.atomic
def card_accept(
    *,
    patient_id: str,
    result: CardResult,
    suggestion_uuid: str,
    acting_user: AbstractBaseUser,
    composing: bool = False,
) -> list[str]:
    """Apply one suggestion of the card (`composing`: an order-select card of the order being
    composed); returns the references the transaction wrote. Raises ValidationError when the
    suggestion is unknown or the store refuses it."""
    suggestion = next(
        (
            s
            for s in (result.card or {}).get("suggestions") or []
            if isinstance(s, dict) and s.get("uuid") == suggestion_uuid
        ),
        None,
    )
    if suggestion is None:
        raise ValidationError("That suggestion is no longer offered.")
    practitioner_ensure(user=acting_user, repository=repository_for(acting_user))
    storable = _storable(suggestion) if composing else suggestion
    only_composing = suggestion.get("actions") and not storable["actions"]
    try:
        response = {} if only_composing else apply_suggestion(suggestion=storable, user=acting_user)
    except (FhirError, ValueError) as exc:
        raise ValidationError(f"The suggestion could not be applied: {exc}") from exc
    written = [
        "/".join((e.get("response") or {}).get("location", "").split("/")[:2])
        for e in response.get("entry") or []
    ]
    for action in storable["actions"]:
        reference = action.get("resourceId") or _reference(action.get("resource"))
        audit_write(
            user=acting_user,
            action={"create": "create", "update": "update", "delete": "delete"}.get(
                action.get("type"), "update"
            ),
            patient_id=patient_id,
            reference=reference or "Bundle/",
            description=f"decision support suggestion accepted: {suggestion.get('label', '')}",
        )
    _feedback(
        result=result,
        outcome="accepted",
        user=acting_user,
        accepted_suggestion_ids=(suggestion_uuid,),
    )
    return [w for w in written if w]


def _storable(suggestion: dict[str, Any]) -> dict[str, Any]:
    """The suggestion as the store can apply it. An action on the order being composed has
    nothing stored to act on: cancelling that order writes nothing, and changing it saves the
    changed order as a draft."""
    actions = []
    for action in suggestion.get("actions") or []:
        target = action.get("resourceId") or _reference(action.get("resource"))
        if not target.rpartition("/")[2].startswith(COMPOSING):
            actions.append(action)
        elif action.get("type") == "update":
            actions.append(action | {"type": "create"})
    return suggestion | {"actions": actions}


def card_override(
    *,
    patient_id: str,
    result: CardResult,
    reason: dict[str, Any] | None,
    comment: str,
    acting_user: AbstractBaseUser,
) -> None:
    audit_write(
        user=acting_user,
        action="operation",
        patient_id=patient_id,
        reference=f"Patient/{patient_id}",
        description=(
            f"decision support card overridden: {(result.card or {}).get('summary', '')}"
            f" — {(reason or {}).get('display') or comment or 'no reason'}"
        ),
    )
    _feedback(
        result=result,
        outcome="overridden",
        user=acting_user,
        override_reason=reason,
        user_comment=comment,
    )


def _feedback(*, result: CardResult, **kwargs: Any) -> None:
    """Feedback is advisory: a service that cannot take it does not undo the user's action."""
    try:
        send_feedback(result=result, **kwargs)
    except Exception:
        logger.exception("CDS feedback to %s failed", result.service_id)


def _reference(resource: Any) -> str:
    if isinstance(resource, dict) and resource.get("resourceType"):
        return f"{resource['resourceType']}/{resource.get('id', '')}"
    return ""
