"""The medication administration record (MAR) of one patient for one day: a row per dispensed
active order, a column per scheduled time, and in each cell the dose recorded for it (given or
not given) or whether it is due. Three searches whatever the number of orders."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from clinical.fhir.display import concept_text, parse_datetime, quantity_text
from clinical.fhir.reads import Resource, reference_id, search
from clinical.pharmacy.schedule import day_bounds, day_schedule
from clinical.pharmacy.selectors import OrderRow, order_row
from clinical.pharmacy.states import (
    MAR_SLOT_SYSTEM,
    ON_MAR,
    SCHEDULED_TIME_URL,
    PharmacyState,
    outside_pharmacy,
    pharmacy_state,
)

EARLY = timedelta(minutes=60)  # a dose may be recorded this long before its time
LATE = timedelta(minutes=60)  # after this it is overdue
GIVEN, NOT_GIVEN, DUE, OVERDUE, LATER = "given", "not-given", "due", "overdue", "later"
WAITING_STATES = frozenset({PharmacyState.PENDING, PharmacyState.VERIFIED})


@dataclass(frozen=True)
class Dose:
    """A recorded administration."""

    administration_id: str
    given: bool
    when: datetime | None
    by: str
    reason: str
    amount: str


@dataclass(frozen=True)
class MarCell:
    slot: datetime
    key: str
    dose: Dose | None
    state: str  # given | not-given | due | overdue | later

    @property
    def recordable(self) -> bool:
        return self.dose is None and self.state != LATER


@dataclass(frozen=True)
class MarRow:
    order: OrderRow
    cells: list[MarCell | None]  # aligned with Mar.columns
    as_needed: bool
    other_doses: list[Dose]  # doses not tied to a scheduled time (as needed), this day


@dataclass
class Mar:
    patient_id: str
    day: date
    columns: list[str]  # "HH:MM"
    rows: list[MarRow]
    waiting: list[OrderRow]  # signed, not dispensed yet
    stamp: str

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


def slot_key(order_id: str, slot: datetime) -> str:
    return f"{order_id}.{slot.astimezone(UTC):%Y%m%dT%H%MZ}"


def order_slots(order: Resource, day: date, tz: tzinfo) -> tuple[tuple[datetime, ...], bool]:
    """(scheduled times on the day, as needed?) of an order, all its dosage instructions."""
    start = parse_datetime(order.get("authoredOn"))
    times: set[datetime] = set()
    as_needed = False
    for dosage in order.get("dosageInstruction") or [{}]:
        schedule = day_schedule(dosage, day, tz, start=start)
        times |= set(schedule.times)
        as_needed = as_needed or schedule.as_needed
    return tuple(sorted(times)), as_needed


def patient_mar(*, user: AbstractBaseUser, patient_id: str, day: date) -> Mar:
    tz = timezone.get_current_timezone()
    orders = search(
        user,
        "MedicationRequest",
        [
            ("patient", f"Patient/{patient_id}"),
            ("status", "active"),
            ("intent", "order"),
            ("_sort", "authoredon"),
        ],
        count=500,
    )
    on_mar = [o for o in orders if pharmacy_state(o) in ON_MAR]
    doses = _doses(user, patient_id, day, tz)
    now = timezone.now()
    planned = [(o, *order_slots(o, day, tz)) for o in on_mar]
    columns = sorted({t.astimezone(tz).strftime("%H:%M") for _, times, _ in planned for t in times})
    rows = []
    for order, times, as_needed in planned:
        by_column: dict[str, MarCell] = {}
        for slot in times:
            key = slot_key(order["id"], slot)
            dose = doses.by_slot.get(key)
            by_column[slot.astimezone(tz).strftime("%H:%M")] = MarCell(
                slot, key, dose, _cell_state(slot, dose, now)
            )
        rows.append(
            MarRow(
                order=order_row(order),
                cells=[by_column.get(column) for column in columns],
                as_needed=as_needed or not times,
                other_doses=doses.unscheduled.get(order["id"], []),
            )
        )
    waiting = [
        order_row(o)
        for o in orders
        if pharmacy_state(o) in WAITING_STATES and not outside_pharmacy(o)
    ]
    stamp_text = "|".join(
        [f"{o['id']}:{o['meta']['versionId']}" for o in orders] + sorted(doses.ids) + [str(day)]
    )
    return Mar(
        patient_id=patient_id,
        day=day,
        columns=columns,
        rows=rows,
        waiting=waiting,
        stamp=hashlib.sha256(stamp_text.encode()).hexdigest()[:16],
    )


def _cell_state(slot: datetime, dose: Dose | None, now: datetime) -> str:
    if dose is not None:
        return GIVEN if dose.given else NOT_GIVEN
    if slot > now + EARLY:
        return LATER
    return OVERDUE if slot < now - LATE else DUE


@dataclass
class _Doses:
    by_slot: dict[str, Dose]
    unscheduled: dict[str, list[Dose]]
    ids: list[str]


def _doses(user: AbstractBaseUser, patient_id: str, day: date, tz: tzinfo) -> _Doses:
    """The administrations around the day (a dose of late evening may be recorded after
    midnight), by slot key; doses without a slot (as needed) of the day by order."""
    start, end = day_bounds(day, tz)
    found = search(
        user,
        "MedicationAdministration",
        [
            ("patient", f"Patient/{patient_id}"),
            ("effective-time", f"ge{(start - timedelta(days=1)).isoformat()}"),
            ("effective-time", f"lt{(end + timedelta(days=1)).isoformat()}"),
        ],
        count=1000,
    )
    doses = _Doses({}, {}, [])
    for administration in found:
        if administration.get("status") == "entered-in-error":
            continue
        dose = _dose(administration)
        doses.ids.append(f"{administration['id']}:{administration['meta']['versionId']}")
        key = _slot_identifier(administration)
        if key:
            doses.by_slot[key] = dose
            continue
        order_id = reference_id(administration.get("request"), "MedicationRequest")
        if order_id and dose.when and start <= dose.when < end:
            doses.unscheduled.setdefault(order_id, []).append(dose)
    for listed in doses.unscheduled.values():
        listed.sort(key=lambda d: d.when or start)
    return doses


def _slot_identifier(administration: Resource) -> str:
    for identifier in administration.get("identifier") or []:
        if identifier.get("system") == MAR_SLOT_SYSTEM:
            return identifier.get("value", "")
    return ""


def _dose(administration: Resource) -> Dose:
    performer = ((administration.get("performer") or [{}])[0].get("actor")) or {}
    reasons = [concept_text(r) for r in administration.get("statusReason") or []]
    dosage = administration.get("dosage") or {}
    return Dose(
        administration_id=administration["id"],
        given=administration.get("status") == "completed",
        when=parse_datetime(administration.get("effectiveDateTime")),
        by=performer.get("display", ""),
        reason="; ".join(r for r in reasons if r),
        amount=quantity_text(dosage.get("dose")),
    )


def scheduled_time(administration: Resource) -> datetime | None:
    for extension in administration.get("extension") or []:
        if extension.get("url") == SCHEDULED_TIME_URL:
            return parse_datetime(extension.get("valueDateTime"))
    return None
