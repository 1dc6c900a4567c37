"""One order's history with the pharmacy, read from the MedicationRequest's versions: signed,
verified, returned, resubmitted, rejected, dispensed, stopped; who acted, when, and what they
said. (Each dispense's quantity and lot are in the order's dispenses.)"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import concept_text
from clinical.fhir.reads import Resource, repository_for
from clinical.pharmacy.states import PharmacyState, pharmacy_review, pharmacy_state
from fhirapi.store.reads import HistoryQuery
from fhirapi.store.values import StoredResource

HISTORY_MAX = 100  # versions read: an order changes a handful of times


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    at: datetime | None
    action: str
    by: str
    comment: str


def order_history(*, user: AbstractBaseUser, order_id: str) -> list[HistoryEntry]:
    """What happened to the order, oldest first: one entry per version that changed its status
    or its pharmacy state."""
    page = repository_for(user).history(
        HistoryQuery(resource_type="MedicationRequest", resource_id=order_id, count=HISTORY_MAX)
    )
    versions = sorted(
        (v for v in page.versions if v.content is not None), key=lambda v: v.version_id
    )
    entries, previous = [], None
    for version in versions:
        key = (version.content.get("status"), pharmacy_state(version.content))
        if key != previous:
            entries.append(_entry(version, previous))
        previous = key
    return entries


def _entry(version: StoredResource, previous: tuple | None) -> HistoryEntry:
    order: Resource = version.content or {}
    status, state = order.get("status", ""), pharmacy_state(order)
    review = pharmacy_review(order)
    reviewed = review is not None and previous is not None
    return HistoryEntry(
        version=version.version_id,
        at=review.at if reviewed and review.at else version.last_updated,
        action=_action(status, state, previous),
        by=review.by if reviewed else (order.get("requester") or {}).get("display", ""),
        comment=(review.comment if reviewed else "") or concept_text(order.get("statusReason")),
    )


def _action(status: str, state: PharmacyState, previous: tuple | None) -> str:
    if status == "draft":
        return "Drafted"
    if previous is None or previous[0] == "draft":
        return "Signed"
    if status not in ("active", "on-hold") and state != PharmacyState.REJECTED:
        return status.replace("-", " ").capitalize()  # stopped, completed, entered in error
    if state == PharmacyState.PENDING and previous[1] == PharmacyState.RETURNED:
        return "Resubmitted"
    return state.label
