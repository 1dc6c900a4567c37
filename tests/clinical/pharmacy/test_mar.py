"""The MAR: rows of dispensed orders, columns of the day's times, recording given and not given
as MedicationAdministration, each scheduled dose once."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.pharmacy.administrations import DoseAlreadyRecorded, administration_record
from clinical.pharmacy.mar import patient_mar
from clinical.pharmacy.services import medication_dispense, order_verify
from clinical.pharmacy.states import MAR_SLOT_SYSTEM, SCHEDULED_TIME_URL
from tests.clinical.pharmacy import factories as f

pytestmark = pytest.mark.django_db
GRID = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "mar-grid"}
CHART_BODY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chart-body"}
NEXT_YEAR = date.today() + timedelta(days=365)


@pytest.fixture
def dispensed(pharmacist, signed_order):
    """dispensed(**order fields) -> the id of a verified, dispensed order."""

    def make(**extra) -> str:
        extra.setdefault("authored", f.ago(days=2))
        order_id = signed_order(**extra)
        order_verify(order_id=order_id, version=1, acting_user=pharmacist)
        medication_dispense(
            order_id=order_id,
            version=2,
            quantity=Decimal(10),
            unit="tablet",
            lot="L",
            expiry=NEXT_YEAR,
            acting_user=pharmacist,
        )
        return order_id

    return make


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def test_rows_are_dispensed_orders_and_columns_the_day_times(
    nurse, dispensed, signed_order, admitted
):
    q4h = dispensed(timing=f.Q4H)
    daily = dispensed(drug=f.LISINOPRIL)
    waiting = signed_order(drug=f.AMOXICILLIN)
    f.order(admitted["patient_id"], category="community")  # an outside pharmacy's: not awaited
    mar = patient_mar(user=nurse, patient_id=admitted["patient_id"], day=yesterday())
    assert [r.order.order_id for r in mar.rows] == [q4h, daily]
    assert mar.columns == ["02:00", "06:00", "09:00", "10:00", "14:00", "18:00", "22:00"]
    q4h_row, daily_row = mar.rows
    assert [c is not None for c in daily_row.cells] == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert all(c.state == "overdue" for c in q4h_row.cells if c)
    assert [o.order_id for o in mar.waiting] == [waiting]


def test_record_given_and_not_given(nurse, dispensed, admitted):
    order_id = dispensed(timing=f.Q4H)
    mar = patient_mar(user=nurse, patient_id=admitted["patient_id"], day=yesterday())
    first, second = [c for c in mar.rows[0].cells if c][:2]
    given_id = administration_record(
        patient_id=admitted["patient_id"],
        order_id=order_id,
        slot=first.slot,
        given=True,
        acting_user=nurse,
    )
    skipped_id = administration_record(
        patient_id=admitted["patient_id"],
        order_id=order_id,
        slot=second.slot,
        given=False,
        reason_key="refused",
        comment="nauseous",
        acting_user=nurse,
    )
    given = f.read("MedicationAdministration", given_id)
    assert given["status"] == "completed"
    assert given["request"] == {"reference": f"MedicationRequest/{order_id}"}
    assert given["context"] == {"reference": f"Encounter/{admitted['encounter_id']}"}
    assert given["performer"][0]["actor"]["reference"] == f"Practitioner/wintehr-user-{nurse.pk}"
    assert given["dosage"]["dose"]["value"] == 1
    assert given["identifier"][0]["system"] == MAR_SLOT_SYSTEM
    assert given["extension"][0]["url"] == SCHEDULED_TIME_URL
    assert datetime.fromisoformat(given["extension"][0]["valueDateTime"]) == first.slot
    skipped = f.read("MedicationAdministration", skipped_id)
    assert skipped["status"] == "not-done"
    assert skipped["statusReason"][0]["coding"][0]["code"] == "182895007"
    assert skipped["statusReason"][0]["text"] == "Patient refused: nauseous"
    assert datetime.fromisoformat(skipped["effectiveDateTime"]) == second.slot
    mar = patient_mar(user=nurse, patient_id=admitted["patient_id"], day=yesterday())
    states = [c.state for c in mar.rows[0].cells if c][:3]
    assert states == ["given", "not-given", "overdue"]


def test_a_dose_is_recorded_once(nurse, dispensed, admitted):
    order_id = dispensed()
    slot = (
        patient_mar(user=nurse, patient_id=admitted["patient_id"], day=yesterday())
        .rows[0]
        .cells[0]
        .slot
    )
    administration_record(
        patient_id=admitted["patient_id"],
        order_id=order_id,
        slot=slot,
        given=True,
        acting_user=nurse,
    )
    with pytest.raises(DoseAlreadyRecorded, match="already given by nurse-joy"):
        administration_record(
            patient_id=admitted["patient_id"],
            order_id=order_id,
            slot=slot,
            given=False,
            reason_key="asleep",
            acting_user=nurse,
        )


def test_only_scheduled_due_doses_of_dispensed_orders(nurse, dispensed, signed_order, admitted):
    patient_id = admitted["patient_id"]
    not_dispensed = signed_order()
    order_id = dispensed()
    nine = datetime.combine(
        yesterday(), datetime.min.time(), tzinfo=timezone.get_current_timezone()
    )
    with pytest.raises(ValidationError, match="dispensed"):
        administration_record(
            patient_id=patient_id,
            order_id=not_dispensed,
            slot=nine.replace(hour=9),
            given=True,
            acting_user=nurse,
        )
    with pytest.raises(ValidationError, match="not a scheduled time"):
        administration_record(
            patient_id=patient_id,
            order_id=order_id,
            slot=nine.replace(hour=10),
            given=True,
            acting_user=nurse,
        )
    tomorrow = nine + timedelta(days=2, hours=9)
    with pytest.raises(ValidationError, match="not due yet"):
        administration_record(
            patient_id=patient_id, order_id=order_id, slot=tomorrow, given=True, acting_user=nurse
        )
    with pytest.raises(ValidationError, match="Say why"):
        administration_record(
            patient_id=patient_id,
            order_id=order_id,
            slot=nine.replace(hour=9),
            given=False,
            acting_user=nurse,
        )
    other_patient = f.patient("Other", "Olga")
    with pytest.raises(ValidationError, match="No such medication order"):
        administration_record(
            patient_id=other_patient,
            order_id=order_id,
            slot=nine.replace(hour=9),
            given=True,
            acting_user=nurse,
        )


def test_as_needed_doses_are_recorded_when_given(nurse, dispensed, admitted):
    order_id = dispensed(as_needed=True, timing=f.Q4H)
    administration_record(
        patient_id=admitted["patient_id"],
        order_id=order_id,
        slot=None,
        given=True,
        acting_user=nurse,
    )
    mar = patient_mar(user=nurse, patient_id=admitted["patient_id"], day=timezone.localdate())
    row = mar.rows[0]
    assert row.as_needed and mar.columns == []
    assert len(row.other_doses) == 1 and row.other_doses[0].given


def test_mar_screen_records_a_dose(as_nurse, dispensed, admitted):
    order_id = dispensed(drug=f.LISINOPRIL)
    url = f"/pharmacy/mar/{admitted['patient_id']}/"
    day = yesterday().isoformat()
    page = as_nurse.get(f"{url}?day={day}").content.decode()
    assert 'id="mar-grid"' in page and 'id="chart-header"' in page
    assert f'id="mar-row-{order_id}"' in page and "Overdue" in page
    slot = page.split('name="slot" value="')[1].split('"')[0]
    response = as_nurse.post(
        f"{url}record/", {"order": order_id, "slot": slot, "outcome": "given", "day": day}, **GRID
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Dose recorded as given." in html
    assert 'class="dose given"' in html
    again = as_nurse.post(
        f"{url}record/", {"order": order_id, "slot": slot, "outcome": "given", "day": day}, **GRID
    )
    assert "already given" in again.content.decode()


def test_mar_poll_answers_204_until_something_changes(as_nurse, nurse, dispensed, admitted):
    order_id = dispensed(drug=f.LISINOPRIL)
    url = f"/pharmacy/mar/{admitted['patient_id']}/?day={yesterday().isoformat()}"
    first = as_nurse.get(url, **GRID).content.decode()
    stamp = first.split("stamp=")[1].split('"')[0]
    assert as_nurse.get(f"{url}&stamp={stamp}", **GRID).status_code == 204
    slot = (
        patient_mar(user=nurse, patient_id=admitted["patient_id"], day=yesterday())
        .rows[0]
        .cells[0]
        .slot
    )
    administration_record(
        patient_id=admitted["patient_id"],
        order_id=order_id,
        slot=slot,
        given=True,
        acting_user=nurse,
    )
    assert as_nurse.get(f"{url}&stamp={stamp}", **GRID).status_code == 200


@pytest.mark.parametrize(
    ("member", "records"), [("nurse", True), ("physician", True), ("pharmacist", False)]
)
def test_the_chart_has_a_mar_tab(member, records, request, signed_in, dispensed, admitted):
    order_id = dispensed(drug=f.LISINOPRIL)
    client = signed_in(request.getfixturevalue(member))
    mar_url = f"/pharmacy/mar/{admitted['patient_id']}/"
    chart = client.get(f"/chart/{admitted['patient_id']}/").content.decode()
    assert f'<a href="{mar_url}" hx-get="{mar_url}" hx-target="#chart-body"' in chart
    body = client.get(f"{mar_url}?day={yesterday().isoformat()}", **CHART_BODY).content.decode()
    assert 'id="chart-header"' not in body  # the tab's fragment, swapped into the chart
    assert f'<a href="{mar_url}" hx-get="{mar_url}" hx-target="#chart-body" hx-push-url="true"' \
        ' aria-current="page">MAR</a>' in body  # fmt: skip
    assert f'id="mar-row-{order_id}"' in body and "Overdue" in body
    assert ('name="outcome" value="given"' in body) is records
