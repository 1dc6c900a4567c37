"""Reads of the pharmacy: the verification queue, one order with its dispenses, and the orders
returned to a prescriber. The queue costs the same number of searches for 5 orders or 500."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from clinical.chart_access.models import RestrictedChart
from clinical.chart_access.selectors import chart_access_check
from clinical.fhir.display import concept_text, human_name, parse_datetime
from clinical.fhir.practitioners import practitioner_reference
from clinical.fhir.reads import Resource, by_ids, read, reference_id, search
from clinical.medications.selectors import dosage_text, medication_name
from clinical.pharmacy.context import PatientContext, patient_contexts
from clinical.pharmacy.dispenses import (
    DispenseRow,
    decimal_value,
    dispensed_quantities,
    order_dispenses,
)
from clinical.pharmacy.history import HistoryEntry, order_history
from clinical.pharmacy.places import NOWHERE, Place, Places
from clinical.pharmacy.states import (
    OUTSIDE_CATEGORIES,
    STATE_ORDER,
    PharmacyState,
    Review,
    pharmacy_review,
    pharmacy_state,
    priority_rank,
    version_of,
)

REJECTED_SHOWN_HOURS = 24  # rejected orders stay countable (and listed) this long
QUEUE_MAX = 1000  # one page of each search (FHIR_MAX_COUNT)
ALL = "all"


@dataclass(frozen=True)
class QueueFilters:
    state: str = PharmacyState.PENDING.value  # a PharmacyState value or "all"
    ward: str = ""  # Location id
    prescriber: str = ""  # "Practitioner/<id>"


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    version: int
    patient_id: str
    encounter_id: str
    medication: str
    dosage: str
    priority: str
    authored: datetime | None
    requester: str
    requester_ref: str
    state: PharmacyState
    status: str
    status_reason: str
    review: Review | None
    place: Place
    quantity_ordered: Decimal | None
    quantity_unit: str

    @property
    def waiting(self) -> str:
        """How long since the order was signed, as "3 h 05 min" / "2 d 4 h"."""
        if self.authored is None:
            return ""
        minutes = max(0, int((timezone.now() - self.authored).total_seconds() // 60))
        if minutes < 60:
            return f"{minutes} min"
        if minutes < 24 * 60:
            return f"{minutes // 60} h {minutes % 60:02d} min"
        return f"{minutes // 1440} d {minutes % 1440 // 60} h"

    @property
    def ordered_text(self) -> str:
        if self.quantity_ordered is None:
            return ""
        return f"{self.quantity_ordered.normalize():f} {self.quantity_unit}".strip()


@dataclass(frozen=True)
class QueueRow:
    order: OrderRow
    patient: PatientContext | None  # None when the chart is restricted and closed to the user
    restricted: bool
    dispensed: Decimal

    @property
    def other_medications(self) -> list[str]:
        return self.patient.other_medications(self.order.order_id) if self.patient else []

    @property
    def dispensed_text(self) -> str:
        if not self.dispensed:
            return ""
        return f"{self.dispensed.normalize():f} {self.order.quantity_unit}".strip()


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass
class PharmacyQueue:
    filters: QueueFilters
    rows: list[QueueRow]
    counts: list[StateCount]
    wards: list[tuple[str, str]]
    prescribers: list[tuple[str, str]]
    truncated: bool = False
    stamp: str = field(default="")


def order_row(order: Resource, place: Place = NOWHERE) -> OrderRow:
    requester = order.get("requester") or {}
    quantity = (order.get("dispenseRequest") or {}).get("quantity") or {}
    return OrderRow(
        order_id=order["id"],
        version=version_of(order),
        patient_id=reference_id(order.get("subject"), "Patient") or "",
        encounter_id=reference_id(order.get("encounter"), "Encounter") or "",
        medication=medication_name(order),
        dosage=dosage_text(order),
        priority=order.get("priority") or "routine",
        authored=parse_datetime(order.get("authoredOn")),
        requester=requester.get("display") or requester.get("reference", ""),
        requester_ref=requester.get("reference", ""),
        state=pharmacy_state(order),
        status=order.get("status", ""),
        status_reason=concept_text(order.get("statusReason")),
        review=pharmacy_review(order),
        place=place,
        quantity_ordered=decimal_value(quantity.get("value")),
        quantity_unit=quantity.get("unit") or quantity.get("code") or _dose_unit(order),
    )


def pharmacy_queue(*, user: AbstractBaseUser, filters: QueueFilters) -> PharmacyQueue:
    orders = _queue_orders(user)
    encounters = by_ids(
        user, "Encounter", [reference_id(o.get("encounter"), "Encounter") or "" for o in orders]
    )
    places = Places(user)
    rows = [
        order_row(
            o,
            places.of_encounter(
                encounters.get(reference_id(o.get("encounter"), "Encounter") or "")
            ),
        )
        for o in orders
    ]
    prescribers = sorted(
        {(r.requester_ref, r.requester) for r in rows if r.requester_ref}, key=lambda p: p[1]
    )
    in_scope = [
        r
        for r in rows
        if (not filters.ward or r.place.ward_id == filters.ward)
        and (not filters.prescriber or r.requester_ref == filters.prescriber)
    ]
    counts = [
        StateCount(s.value, s.label, sum(1 for r in in_scope if r.state == s)) for s in STATE_ORDER
    ]
    counts.append(StateCount(ALL, "All", len(in_scope)))
    shown = [r for r in in_scope if filters.state == ALL or r.state == filters.state]
    shown.sort(key=_urgency)
    return PharmacyQueue(
        filters=filters,
        rows=queue_rows(user=user, orders=shown),
        counts=counts,
        wards=places.wards(),
        prescribers=prescribers,
        truncated=len(orders) >= QUEUE_MAX,
        stamp=_stamp(in_scope),
    )


def queue_rows(*, user: AbstractBaseUser, orders: list[OrderRow]) -> list[QueueRow]:
    """The orders with their patients' context and what was dispensed (batched lookups)."""
    patient_ids = {o.patient_id for o in orders}
    restricted = _restricted(patient_ids)
    closed = closed_charts(user=user, restricted=restricted)
    contexts = patient_contexts(user=user, patient_ids=patient_ids - closed)
    dispensed = dispensed_quantities(
        user=user, order_ids=[o.order_id for o in orders if o.state != PharmacyState.PENDING]
    )
    return [
        QueueRow(
            order=o,
            patient=contexts.get(o.patient_id),
            restricted=o.patient_id in restricted,
            dispensed=dispensed.get(o.order_id, Decimal(0)),
        )
        for o in orders
    ]


def closed_charts(*, user: AbstractBaseUser, restricted: set[str]) -> set[str]:
    """The restricted charts the user may not open now (restricted charts are few: only they
    cost a check each)."""
    return {
        patient_id
        for patient_id in restricted
        if not chart_access_check(user=user, patient_id=patient_id).allowed
    }


def _restricted(patient_ids: set[str]) -> set[str]:
    if not patient_ids:
        return set()
    return set(
        RestrictedChart.objects.filter(patient_id__in=patient_ids).values_list(
            "patient_id", flat=True
        )
    )


def _queue_orders(user: AbstractBaseUser) -> list[Resource]:
    """Signed inpatient orders still with the pharmacy (active; on hold when returned), and the
    orders rejected in the last REJECTED_SHOWN_HOURS."""
    common = [("intent", "order"), ("category:not", ",".join(OUTSIDE_CATEGORIES))]
    current = search(
        user, "MedicationRequest", [*common, ("status", "active,on-hold")], count=QUEUE_MAX
    )
    current = [
        o
        for o in current
        if o.get("status") == "active" or pharmacy_state(o) == PharmacyState.RETURNED
    ]
    since = timezone.now() - timedelta(hours=REJECTED_SHOWN_HOURS)
    cancelled = search(
        user,
        "MedicationRequest",
        [
            *common,
            ("status", "cancelled"),
            ("_lastUpdated", f"ge{since.isoformat(timespec='seconds')}"),
        ],
        count=QUEUE_MAX,
    )
    return current + [o for o in cancelled if pharmacy_state(o) == PharmacyState.REJECTED]


def _urgency(row: OrderRow) -> tuple[int, float]:
    """Most urgent first (stat, asap, urgent, routine), then the longest waiting."""
    authored = row.authored.timestamp() if row.authored else 0.0
    return (priority_rank({"priority": row.priority}), authored)


def _stamp(rows: list[OrderRow]) -> str:
    """Changes whenever an order of the queue changes: the poll answers 204 while it holds."""
    text = "|".join(sorted(f"{r.order_id}:{r.version}" for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- one order ---------------------------------------------------------------------------------


@dataclass
class OrderDetail:
    order: Resource
    row: QueueRow
    dispenses: list[DispenseRow]
    history: list[HistoryEntry]

    @property
    def remaining(self) -> Decimal | None:
        ordered = self.row.order.quantity_ordered
        return None if ordered is None else max(Decimal(0), ordered - self.row.dispensed)


def pharmacy_order(*, user: AbstractBaseUser, order_id: str) -> Resource | None:
    """A medication order (intent order) the pharmacy handles, or None."""
    order = read(user, "MedicationRequest", order_id)
    if order is None or order.get("intent") != "order":
        return None
    return order


def order_detail(*, user: AbstractBaseUser, order: Resource) -> OrderDetail:
    encounter_id = reference_id(order.get("encounter"), "Encounter")
    encounter = read(user, "Encounter", encounter_id) if encounter_id else None
    place = Places(user).of_encounter(encounter) if encounter else NOWHERE
    row = order_row(order, place)
    dispenses = order_dispenses(user=user, order_id=order["id"])
    dispensed = sum((d[1] for d in dispenses if d[0].status == "completed"), Decimal(0))
    contexts = patient_contexts(user=user, patient_ids=[row.patient_id])
    queue_row = QueueRow(
        order=row,
        patient=contexts.get(row.patient_id),
        restricted=bool(_restricted({row.patient_id})),
        dispensed=dispensed,
    )
    return OrderDetail(
        order=order,
        row=queue_row,
        dispenses=[d[0] for d in dispenses],
        history=order_history(user=user, order_id=order["id"]),
    )


# -- the prescriber's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnedOrder:
    order: OrderRow
    patient_name: str


def returned_orders(*, user: AbstractBaseUser) -> list[ReturnedOrder]:
    """Orders this user signed that a pharmacist returned for clarification, oldest first."""
    found = search(
        user,
        "MedicationRequest",
        [
            ("requester", practitioner_reference(user)["reference"]),
            ("status", "on-hold"),
            ("intent", "order"),
            ("_sort", "authoredon"),
        ],
        count=200,
    )
    rows = [order_row(o) for o in found if pharmacy_state(o) == PharmacyState.RETURNED]
    patients = by_ids(user, "Patient", [r.patient_id for r in rows])
    return [
        ReturnedOrder(r, human_name(patients[r.patient_id]) if r.patient_id in patients else "")
        for r in rows
    ]


def _dose_unit(order: Resource) -> str:
    for dosage in order.get("dosageInstruction") or []:
        for dose in dosage.get("doseAndRate") or []:
            quantity = dose.get("doseQuantity") or {}
            if quantity.get("unit") or quantity.get("code"):
                return quantity.get("unit") or quantity["code"]
    return ""
