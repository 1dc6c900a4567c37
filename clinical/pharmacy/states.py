"""A medication order's pharmacy state, kept in WintEHR extensions on the MedicationRequest
(see clinical/pharmacy/__init__.py), and what each state allows."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from clinical.fhir.display import parse_datetime

Resource = dict[str, Any]

STATUS_URL = "http://wintehr.dev/fhir/StructureDefinition/pharmacy-status"
REVIEW_URL = "http://wintehr.dev/fhir/StructureDefinition/pharmacy-review"
SCHEDULED_TIME_URL = "http://wintehr.dev/fhir/StructureDefinition/scheduled-time"
MAR_SLOT_SYSTEM = "urn:wintehr:mar-slot"


class PharmacyState(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    RETURNED = "returned"
    REJECTED = "rejected"
    DISPENSED = "dispensed"
    PARTIALLY_DISPENSED = "partially-dispensed"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


STATE_ORDER = (
    PharmacyState.PENDING,
    PharmacyState.VERIFIED,
    PharmacyState.PARTIALLY_DISPENSED,
    PharmacyState.DISPENSED,
    PharmacyState.RETURNED,
    PharmacyState.REJECTED,
)
VERIFIABLE = frozenset({PharmacyState.PENDING})
RETURNABLE = frozenset({PharmacyState.PENDING, PharmacyState.VERIFIED})
REJECTABLE = frozenset({PharmacyState.PENDING, PharmacyState.VERIFIED, PharmacyState.RETURNED})
DISPENSABLE = frozenset(
    {PharmacyState.VERIFIED, PharmacyState.PARTIALLY_DISPENSED, PharmacyState.DISPENSED}
)
ON_MAR = frozenset({PharmacyState.DISPENSED, PharmacyState.PARTIALLY_DISPENSED})

# Community, outpatient and discharge prescriptions go to outside pharmacies, not ours.
OUTSIDE_CATEGORIES = ("community", "outpatient", "discharge")

# MedicationRequest.priority (request-priority): most urgent first; no priority is routine.
PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}


@dataclass(frozen=True)
class Review:
    by: str  # display name of the Practitioner
    at: datetime | None
    comment: str


def pharmacy_state(order: Resource) -> PharmacyState:
    """The order's state; an order the pharmacy never touched is pending."""
    for extension in order.get("extension") or []:
        if extension.get("url") == STATUS_URL:
            try:
                return PharmacyState(extension.get("valueCode", ""))
            except ValueError:
                break
    return PharmacyState.PENDING


def pharmacy_review(order: Resource) -> Review | None:
    for extension in order.get("extension") or []:
        if extension.get("url") != REVIEW_URL:
            continue
        parts = {e.get("url"): e for e in extension.get("extension") or []}
        return Review(
            by=(parts.get("by") or {}).get("valueReference", {}).get("display", ""),
            at=parse_datetime((parts.get("at") or {}).get("valueDateTime")),
            comment=(parts.get("comment") or {}).get("valueString", ""),
        )
    return None


def with_state(
    order: Resource,
    state: PharmacyState,
    *,
    by: dict[str, str],
    at: str,
    comment: str = "",
) -> Resource:
    """A copy of the order in `state`, reviewed by `by` (a Practitioner reference) at `at`."""
    review: list[dict[str, Any]] = [
        {"url": "by", "valueReference": by},
        {"url": "at", "valueDateTime": at},
    ]
    if comment:
        review.append({"url": "comment", "valueString": comment})
    kept = [e for e in order.get("extension") or [] if e.get("url") not in (STATUS_URL, REVIEW_URL)]
    return {
        **order,
        "extension": [
            *kept,
            {"url": STATUS_URL, "valueCode": state.value},
            {"url": REVIEW_URL, "extension": review},
        ],
    }


def outside_pharmacy(order: Resource) -> bool:
    """Is the order for an outside pharmacy (community, outpatient, discharge prescriptions)?"""
    return any(
        coding.get("code") in OUTSIDE_CATEGORIES
        for category in order.get("category") or []
        for coding in category.get("coding") or []
    )


def with_pharmacy(order: Resource) -> PharmacyState | None:
    """The pharmacy state of a signed order our pharmacy handles, else None."""
    if order.get("intent") != "order" or order.get("status") == "draft":
        return None
    return None if outside_pharmacy(order) else pharmacy_state(order)


def priority_rank(order: Resource) -> int:
    return PRIORITY_RANK.get(order.get("priority") or "routine", PRIORITY_RANK["routine"])


def version_of(resource: Resource) -> int:
    return int((resource.get("meta") or {}).get("versionId") or 0)
