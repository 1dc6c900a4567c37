"""Who may do what: pharmacists verify and dispense; physicians, nurses and the front desk may
not; nurses record on the MAR; prescribers answer returned orders."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from clinical.chart_access.services import chart_restrict
from clinical.pharmacy.administrations import administration_record
from clinical.pharmacy.services import medication_dispense, order_verify
from clinical.pharmacy.states import pharmacy_state
from tests.clinical.pharmacy import factories as f

pytestmark = pytest.mark.django_db
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
OTHERS = ["physician", "nurse", "front_desk", "outsider"]


def test_only_pharmacists_see_the_queue_verify_and_dispense(
    request, signed_in, signed_order, pharmacist
):
    order_id = signed_order()
    url = f"/pharmacy/orders/{order_id}/"
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    dispense = {"version": 2, "quantity": "5", "unit": "tablet", "lot": "L", "expiry": NEXT_YEAR}
    for member in OTHERS:
        user = request.getfixturevalue(member)
        client = signed_in(user)
        refused = {
            "queue": client.get("/pharmacy/").status_code,
            "order": client.get(url).status_code,
            "verify": client.post(url + "verify/", {"version": 2}).status_code,
            "return": client.post(url + "return/", {"version": 2, "reason": "x"}).status_code,
            "reject": client.post(url + "reject/", {"version": 2, "reason": "salg"}).status_code,
            "dispense": client.post(url + "dispense/", dispense).status_code,
        }
        assert set(refused.values()) == {403}, (member, refused)
        with pytest.raises(PermissionDenied):
            order_verify(order_id=order_id, version=2, acting_user=user)
        with pytest.raises(PermissionDenied):
            medication_dispense(
                order_id=order_id,
                version=2,
                quantity=Decimal(5),
                unit="tablet",
                lot="L",
                expiry=date.fromisoformat(NEXT_YEAR),
                acting_user=user,
            )
    order = f.read("MedicationRequest", order_id)
    assert pharmacy_state(order) == "verified" and order["meta"]["versionId"] == "2"


def test_pharmacist_may_verify_and_dispense(as_pharmacist, signed_order):
    order_id = signed_order()
    assert as_pharmacist.get(f"/pharmacy/orders/{order_id}/").status_code == 200
    assert (
        as_pharmacist.post(f"/pharmacy/orders/{order_id}/verify/", {"version": 1}).status_code
        == 302
    )
    dispense = {"version": 2, "quantity": "5", "unit": "tablet", "lot": "L", "expiry": NEXT_YEAR}
    assert as_pharmacist.post(f"/pharmacy/orders/{order_id}/dispense/", dispense).status_code == 302
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "dispensed"


def test_a_restricted_chart_outside_the_care_team_is_closed(
    as_pharmacist, pharmacist, administrator, signed_order, admitted
):
    order_id = signed_order()
    assert order_id in as_pharmacist.get("/pharmacy/").content.decode()
    chart_restrict(patient_id=admitted["patient_id"], acting_user=administrator, care_team=[])
    html = as_pharmacist.get("/pharmacy/").content.decode()
    assert "OKAFOR" not in html and order_id not in html  # the FHIR policy leaves it out
    assert as_pharmacist.get(f"/pharmacy/orders/{order_id}/").status_code == 403
    with pytest.raises(PermissionDenied):
        order_verify(order_id=order_id, version=1, acting_user=pharmacist)


@pytest.mark.parametrize(
    ("member", "status"),
    [("nurse", 200), ("physician", 200), ("pharmacist", 200), ("front_desk", 403)],
)
def test_who_sees_the_mar(member, status, request, signed_in, admitted):
    client = signed_in(request.getfixturevalue(member))
    assert client.get(f"/pharmacy/mar/{admitted['patient_id']}/").status_code == status


@pytest.mark.parametrize(
    ("member", "allowed"), [("nurse", True), ("pharmacist", False), ("front_desk", False)]
)
def test_nurses_record_administrations(
    member, allowed, request, signed_in, signed_order, pharmacist, admitted
):
    order_id = signed_order(authored=f.ago(days=2), drug=f.LISINOPRIL)
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    medication_dispense(
        order_id=order_id,
        version=2,
        quantity=Decimal(5),
        unit="tablet",
        lot="L",
        expiry=date.fromisoformat(NEXT_YEAR),
        acting_user=pharmacist,
    )
    user = request.getfixturevalue(member)
    day = date.today() - timedelta(days=1)
    slot = f"{day.isoformat()}T09:00:00+00:00"
    response = signed_in(user).post(
        f"/pharmacy/mar/{admitted['patient_id']}/record/",
        {"order": order_id, "slot": slot, "outcome": "given", "day": day.isoformat()},
    )
    assert response.status_code == (302 if allowed else 403)
    if not allowed:
        with pytest.raises(PermissionDenied):
            administration_record(
                patient_id=admitted["patient_id"],
                order_id=order_id,
                slot=None,
                given=True,
                acting_user=user,
            )


@pytest.mark.parametrize("member", ["pharmacist", "nurse", "front_desk"])
def test_only_prescribers_see_returned_orders(member, request, signed_in):
    assert signed_in(request.getfixturevalue(member)).get("/pharmacy/returned/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, signed_order, admitted):
    order_id = signed_order()
    for url in (
        "/pharmacy/",
        f"/pharmacy/orders/{order_id}/",
        f"/pharmacy/mar/{admitted['patient_id']}/",
    ):
        assert client.get(url).status_code == 302
