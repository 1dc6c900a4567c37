"""A medication order's dispenses (MedicationDispense with authorizingPrescription), and the
quantity dispensed of many orders in one search."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import parse_datetime, quantity_text
from clinical.fhir.reads import Resource, reference_id, search

SEARCH_MAX = 1000


@dataclass(frozen=True)
class DispenseRow:
    dispense_id: str
    quantity: str
    lot: str
    expiry: str
    handed_over: datetime | None
    by: str
    status: str


def order_dispenses(*, user: AbstractBaseUser, order_id: str) -> list[tuple[DispenseRow, Decimal]]:
    found = search(
        user,
        "MedicationDispense",
        [("prescription", f"MedicationRequest/{order_id}"), ("_sort", "-whenhandedover")],
        count=200,
    )
    return [
        (_dispense_row(d), decimal_value((d.get("quantity") or {}).get("value")) or Decimal(0))
        for d in found
    ]


def dispensed_quantities(*, user: AbstractBaseUser, order_ids: list[str]) -> dict[str, Decimal]:
    """Completed dispensed quantity per order, in one search."""
    if not order_ids:
        return {}
    found = search(
        user,
        "MedicationDispense",
        [
            ("prescription", ",".join(f"MedicationRequest/{i}" for i in sorted(set(order_ids)))),
            ("status", "completed"),
        ],
        count=SEARCH_MAX,
    )
    totals: dict[str, Decimal] = {}
    for dispense in found:
        amount = decimal_value((dispense.get("quantity") or {}).get("value")) or Decimal(0)
        for prescription in dispense.get("authorizingPrescription") or []:
            order_id = reference_id(prescription, "MedicationRequest")
            if order_id:
                totals[order_id] = totals.get(order_id, Decimal(0)) + amount
    return totals


def _dispense_row(dispense: Resource) -> DispenseRow:
    batch = {}
    for contained in dispense.get("contained") or []:
        if contained.get("resourceType") == "Medication":
            batch = contained.get("batch") or {}
    performer = ((dispense.get("performer") or [{}])[0].get("actor")) or {}
    return DispenseRow(
        dispense_id=dispense["id"],
        quantity=quantity_text(dispense.get("quantity")),
        lot=batch.get("lotNumber", ""),
        expiry=(batch.get("expirationDate") or "")[:10],
        handed_over=parse_datetime(dispense.get("whenHandedOver")),
        by=performer.get("display", ""),
        status=dispense.get("status", ""),
    )


def decimal_value(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None
