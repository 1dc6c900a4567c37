"""Two people acting on the same order at the same moment, in real concurrent transactions: one
wins, the other is told; nothing is verified, dispensed or given twice."""

import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from clinical.pharmacy.administrations import administration_record
from clinical.pharmacy.mar import patient_mar
from clinical.pharmacy.services import medication_dispense, order_verify
from clinical.pharmacy.states import pharmacy_state
from fhirapi.errors import VersionConflict
from fhirapi.services import FhirRepository
from tests.clinical.pharmacy import factories as f

NEXT_YEAR = date.today() + timedelta(days=365)


def race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions at once in threads (own database connections); their results or errors."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # the loser's error is the result under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def count(resource_type: str, **params: str) -> int:
    bundle = FhirRepository().search_bundle(resource_type, list(params.items()), base_url="x")
    return len(bundle.get("entry") or [])


@pytest.mark.django_db(transaction=True)
def test_two_pharmacists_verify_at_once(pharmacist, second_pharmacist, signed_order):
    order_id = signed_order()
    results = race(
        lambda: order_verify(order_id=order_id, version=1, acting_user=pharmacist),
        lambda: order_verify(order_id=order_id, version=1, acting_user=second_pharmacist),
    )
    assert sorted(type(r).__name__ for r in results) == ["VersionConflict", "dict"]
    order = f.read("MedicationRequest", order_id)
    assert order["meta"]["versionId"] == "2" and pharmacy_state(order) == "verified"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_dispensed_twice(pharmacist, second_pharmacist, signed_order):
    order_id = signed_order(quantity=10)
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)

    def dispense(user) -> str:
        return medication_dispense(
            order_id=order_id,
            version=2,
            quantity=Decimal(10),
            unit="tablet",
            lot="L",
            expiry=NEXT_YEAR,
            acting_user=user,
        )

    results = race(lambda: dispense(pharmacist), lambda: dispense(second_pharmacist))
    assert sum(isinstance(r, str) for r in results) == 1
    assert sum(isinstance(r, VersionConflict) for r in results) == 1
    assert count("MedicationDispense", prescription=f"MedicationRequest/{order_id}") == 1
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "dispensed"


@pytest.mark.django_db(transaction=True)
def test_a_dose_is_given_once(nurse, django_user_model, pharmacist, signed_order, admitted):
    from tests.conftest import _member

    other_nurse = _member("nurse-ratched", "nurse")
    order_id = signed_order(authored=f.ago(days=2))
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    medication_dispense(
        order_id=order_id,
        version=2,
        quantity=Decimal(5),
        unit="tablet",
        lot="L",
        expiry=NEXT_YEAR,
        acting_user=pharmacist,
    )
    day = date.today() - timedelta(days=1)
    slot = patient_mar(user=nurse, patient_id=admitted["patient_id"], day=day).rows[0].cells[0].slot

    def give(user) -> str:
        return administration_record(
            patient_id=admitted["patient_id"],
            order_id=order_id,
            slot=slot,
            given=True,
            acting_user=user,
        )

    results = race(lambda: give(nurse), lambda: give(other_nurse))
    assert sum(isinstance(r, str) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 1
    assert count("MedicationAdministration", request=f"MedicationRequest/{order_id}") == 1
