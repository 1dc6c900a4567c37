"""Cards reviewed before an action (signing an order, discharging a patient): the hook's cards
are kept in the session under the action's context key, each warning or critical card needs an
override reason (or a comment) for the action to go ahead, and the overrides are recorded, with
feedback to their services, once the action is done. A card's suggestion can be accepted
instead (review_accept). Cards shown without an action to review (patient-view, order-select)
are accepted or overridden one at a time (review_accept, review_override)."""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.http import QueryDict

from cds.client import CardResult
from clinical.cds_cards.forms import OverrideForm, reason_coding
from clinical.cds_cards.services import ORDER_SELECT, card_accept, card_override
from clinical.cds_cards.store import ShownCard, card_find, card_forget, cards_for, cards_keep

Override = tuple[ShownCard, dict | None, str]


def review_cards(
    *,
    session: SessionBase,
    patient_id: str,
    context: str,
    call: Callable[[], list[CardResult]] | None,
) -> tuple[list[ShownCard], list[CardResult]]:
    """The cards (and the failed services) of a fresh hook call when `call` is given, else the
    cards kept from the last one."""
    if call is None:
        return cards_for(session=session, patient_id=patient_id, context=context), []
    results = call()
    cards = cards_keep(session=session, patient_id=patient_id, context=context, results=results)
    return cards, [r for r in results if r.failed]


def overrides_from_post(
    data: QueryDict, cards: list[ShownCard]
) -> tuple[list[Override], dict[str, str]]:
    """The overrides the form gives (`reason-<card>`, `comment-<card>`) and, per card key, the
    error of each warning or critical card left without a reason."""
    overrides, errors = [], {}
    for shown in cards:
        code = data.get(f"reason-{shown.key}", "")
        reason = reason_coding(shown, code)
        try:  # the override form's own checks: length, NUL bytes
            comment = OverrideForm.base_fields["comment"].clean(
                data.get(f"comment-{shown.key}", "")
            )
        except ValidationError as exc:
            errors[shown.key] = exc.messages[0]
            continue
        if code and reason is None:
            errors[shown.key] = "That is not one of this alert's override reasons."
        elif shown.needs_reason and reason is None and not comment:
            errors[shown.key] = "Give a reason to override this alert, or accept its suggestion."
        elif reason is not None or comment:
            overrides.append((shown, reason, comment))
    return overrides, errors


def overrides_record(
    *,
    session: SessionBase,
    patient_id: str,
    overrides: list[Override],
    acting_user: AbstractBaseUser,
) -> None:
    for shown, reason, comment in overrides:
        card_override(
            patient_id=patient_id,
            result=shown.result,
            reason=reason,
            comment=comment,
            acting_user=acting_user,
        )
        card_forget(session=session, key=shown.key)


def review_accept(
    *,
    session: SessionBase,
    patient_id: str,
    context: str,
    data: QueryDict,
    acting_user: AbstractBaseUser,
) -> tuple[ShownCard | None, str]:
    """Accept the posted suggestion (`card`, `suggestion`) of a card kept under `context`: its
    actions are applied in one transaction (card_accept). Returns the card (None when it is no
    longer shown) and the error ("" when the suggestion was applied)."""
    shown = card_find(session=session, patient_id=patient_id, key=data.get("card", ""))
    if shown is None or shown.context != context:
        return None, "That alert is no longer shown."
    try:
        card_accept(
            patient_id=patient_id,
            result=shown.result,
            suggestion_uuid=data.get("suggestion", ""),
            acting_user=acting_user,
            composing=context == ORDER_SELECT,
        )
    except ValidationError as exc:
        return shown, exc.messages[0]
    card_forget(session=session, key=shown.key)
    return shown, ""


def review_override(
    *,
    session: SessionBase,
    patient_id: str,
    context: str,
    data: QueryDict,
    acting_user: AbstractBaseUser,
) -> tuple[ShownCard | None, str]:
    """Override the posted card (`card`, `reason`, `comment`) kept under `context`, with
    feedback to its service (card_override). Returns the card (None when it is no longer shown)
    and the error ("" when it was overridden)."""
    shown = card_find(session=session, patient_id=patient_id, key=data.get("card", ""))
    if shown is None or shown.context != context:
        return None, "That alert is no longer shown."
    form = OverrideForm(data)
    if not form.is_valid():
        return shown, " ".join(form.non_field_errors()) or "Give a reason for overriding it."
    reason = reason_coding(shown, form.cleaned_data["reason"])
    if reason is None and form.cleaned_data["reason"]:
        return shown, "That is not one of this alert's override reasons."
    card_override(
        patient_id=patient_id,
        result=shown.result,
        reason=reason,
        comment=form.cleaned_data["comment"],
        acting_user=acting_user,
    )
    card_forget(session=session, key=shown.key)
    return shown, ""
