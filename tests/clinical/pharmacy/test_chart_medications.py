"""The chart's Medications tab shows where each inpatient order is with the pharmacy: the
prescriber sees a returned order with the pharmacist's question and where to answer it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from clinical.pharmacy.services import (
    medication_dispense,
    order_resubmit,
    order_return,
    order_verify,
)
from tests.clinical.pharmacy import factories as f

pytestmark = pytest.mark.django_db
CHART_BODY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chart-body"}


def medications_tab(client, patient_id: str) -> str:
    return client.get(f"/chart/{patient_id}/medications/", **CHART_BODY).content.decode()


def test_returned_then_dispensed(as_physician, physician, pharmacist, signed_order, admitted):
    order_id = signed_order(drug=f.LISINOPRIL)
    signed_order(drug=f.AMOXICILLIN, category="outpatient")  # for an outside pharmacy
    html = medications_tab(as_physician, admitted["patient_id"])
    assert html.count('data-pharmacy="pending"') == 1 and html.count('data-pharmacy=""') == 1
    order_return(order_id=order_id, version=1, reason="Which dose?", acting_user=pharmacist)
    html = medications_tab(as_physician, admitted["patient_id"])
    assert 'class="pharmacy-state state-returned">Returned</span>' in html
    assert "Which dose?" in html and 'href="/pharmacy/returned/">Answer the pharmacy</a>' in html
    order_resubmit(order_id=order_id, version=2, comment="10 mg", acting_user=physician)
    order_verify(order_id=order_id, version=3, acting_user=pharmacist)
    medication_dispense(
        order_id=order_id,
        version=4,
        quantity=Decimal(10),
        unit="tablet",
        lot="L",
        expiry=date.today() + timedelta(days=300),
        acting_user=pharmacist,
    )
    html = medications_tab(as_physician, admitted["patient_id"])
    assert 'class="pharmacy-state state-dispensed">Dispensed</span>' in html
    assert "Answer the pharmacy" not in html
    assert html.count('data-pharmacy=""') == 1  # the outpatient prescription


def test_the_tab_refreshes_when_the_pharmacy_acts(as_nurse, pharmacist, signed_order, admitted):
    order_id = signed_order(drug=f.LISINOPRIL)
    url = f"/chart/{admitted['patient_id']}/medications/"
    page = as_nurse.get(url).content.decode()
    assert 'id="medications-live" data-live-topic="chart:' in page
    stamp = page.split(f"{url}?stamp=")[1].split('"')[0]
    live = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "medications-live"}
    assert as_nurse.get(f"{url}?stamp={stamp}", **live).status_code == 204
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    fresh = as_nurse.get(f"{url}?stamp={stamp}", **live)
    html = fresh.content.decode()
    assert fresh.status_code == 200
    assert 'id="medications-live"' in html and 'id="chart-header"' not in html
    assert 'class="pharmacy-state state-verified">Verified</span>' in html
