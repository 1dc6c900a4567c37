"""Each pharmacy action and the FHIR it writes: verify, return (and resubmit), reject,
dispense (whole and partial), with the acting user, audited; and the review screen."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clinical.pharmacy.selectors import returned_orders
from clinical.pharmacy.services import (
    medication_dispense,
    order_reject,
    order_resubmit,
    order_return,
    order_verify,
)
from clinical.pharmacy.states import REVIEW_URL, STATUS_URL, pharmacy_state
from fhirapi.audit.models import AuditRecord
from fhirapi.errors import VersionConflict
from fhirapi.services import FhirRepository
from tests.clinical.pharmacy import factories as f

pytestmark = pytest.mark.django_db
PANEL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "order-panel"}
NEXT_YEAR = date.today() + timedelta(days=365)


def extension(resource: dict, url: str) -> dict:
    return next(e for e in resource.get("extension", []) if e["url"] == url)


def dispenses_of(order_id: str) -> list[dict]:
    bundle = FhirRepository().search_bundle(
        "MedicationDispense", [("prescription", f"MedicationRequest/{order_id}")], base_url="x"
    )
    return [e["resource"] for e in bundle.get("entry", [])]


def audits(username: str) -> list[str]:
    records = AuditRecord.objects.filter(username=username, action__in=["C", "U"]).order_by("id")
    return [record.content.get("outcomeDesc", "") for record in records]


def test_verify_writes_state_reviewer_and_audit(pharmacist, signed_order):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, comment="INR checked", acting_user=pharmacist)
    order = f.read("MedicationRequest", order_id)
    assert order["status"] == "active" and order["meta"]["versionId"] == "2"
    assert extension(order, STATUS_URL)["valueCode"] == "verified"
    review = {e["url"]: e for e in extension(order, REVIEW_URL)["extension"]}
    assert (
        review["by"]["valueReference"]["reference"] == f"Practitioner/wintehr-user-{pharmacist.pk}"
    )
    assert review["comment"]["valueString"] == "INR checked"
    assert "at" in review
    assert audits(pharmacist.get_username()) == [
        "workspace: pharmacy verified: Warfarin Sodium 5 MG Oral Tablet"
    ]


def test_verify_twice_is_refused(pharmacist, signed_order):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    with pytest.raises(ValidationError, match="verified"):
        order_verify(order_id=order_id, version=2, acting_user=pharmacist)


def test_a_stale_version_is_a_conflict(pharmacist, signed_order):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    with pytest.raises(VersionConflict):
        order_return(order_id=order_id, version=1, reason="dose?", acting_user=pharmacist)


def test_return_puts_the_order_on_hold_for_the_prescriber(pharmacist, physician, signed_order):
    order_id = signed_order()
    order_return(order_id=order_id, version=1, reason="Which INR target?", acting_user=pharmacist)
    order = f.read("MedicationRequest", order_id)
    assert order["status"] == "on-hold"
    assert order["statusReason"]["coding"][0]["code"] == "clarif"
    assert order["statusReason"]["text"] == "Which INR target?"
    assert pharmacy_state(order) == "returned"
    returned = returned_orders(user=physician)
    assert [r.order.order_id for r in returned] == [order_id]
    assert returned[0].patient_name == "OKAFOR, Amara"
    assert returned_orders(user=pharmacist) == []  # only the prescriber's own


def test_prescriber_resubmits_a_returned_order(pharmacist, physician, signed_order):
    order_id = signed_order()
    order_return(order_id=order_id, version=1, reason="Which INR target?", acting_user=pharmacist)
    order_resubmit(order_id=order_id, version=2, comment="INR 2-3", acting_user=physician)
    order = f.read("MedicationRequest", order_id)
    assert order["status"] == "active" and "statusReason" not in order
    assert pharmacy_state(order) == "pending"
    assert returned_orders(user=physician) == []
    with pytest.raises(ValidationError):
        order_resubmit(order_id=order_id, version=3, comment="", acting_user=physician)


def test_reject_cancels_with_the_reason(pharmacist, signed_order):
    order_id = signed_order()
    order_reject(
        order_id=order_id,
        version=1,
        reason_code="salg",
        reason_display="Allergy",
        comment="anaphylaxis history",
        acting_user=pharmacist,
    )
    order = f.read("MedicationRequest", order_id)
    assert order["status"] == "cancelled"
    assert order["statusReason"]["coding"][0]["code"] == "salg"
    assert order["statusReason"]["text"] == "Allergy: anaphylaxis history"
    assert pharmacy_state(order) == "rejected"


def test_dispense_needs_verification_first(pharmacist, signed_order):
    order_id = signed_order()
    with pytest.raises(ValidationError, match="pending"):
        medication_dispense(
            order_id=order_id,
            version=1,
            quantity=Decimal(10),
            unit="tablet",
            lot="L1",
            expiry=NEXT_YEAR,
            acting_user=pharmacist,
        )
    assert dispenses_of(order_id) == []


def test_dispense_writes_a_medication_dispense(pharmacist, signed_order, admitted):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    dispense_id = medication_dispense(
        order_id=order_id,
        version=2,
        quantity=Decimal(14),
        unit="tablet",
        lot="LOT-42",
        expiry=NEXT_YEAR,
        acting_user=pharmacist,
    )
    dispense = f.read("MedicationDispense", dispense_id)
    assert dispense["status"] == "completed"
    assert dispense["authorizingPrescription"] == [{"reference": f"MedicationRequest/{order_id}"}]
    assert dispense["quantity"] == {"value": 14, "unit": "tablet"}
    assert dispense["subject"] == {"reference": f"Patient/{admitted['patient_id']}"}
    assert dispense["context"] == {"reference": f"Encounter/{admitted['encounter_id']}"}
    medication = dispense["contained"][0]
    assert dispense["medicationReference"]["reference"] == "#" + medication["id"]
    assert medication["batch"] == {"lotNumber": "LOT-42", "expirationDate": NEXT_YEAR.isoformat()}
    assert medication["code"]["coding"][0]["code"] == f.WARFARIN[0]
    assert dispense["whenHandedOver"] and dispense["performer"][0]["actor"]["reference"].startswith(
        "Practitioner/"
    )
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "dispensed"
    assert audits(pharmacist.get_username())[-1].startswith(
        "workspace: medication dispensed: 14 tablet"
    )


def test_partial_dispenses_count_against_the_ordered_quantity(pharmacist, signed_order):
    order_id = signed_order(quantity=30)
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    medication_dispense(
        order_id=order_id,
        version=2,
        quantity=Decimal(10),
        unit="tablet",
        lot="A",
        expiry=NEXT_YEAR,
        acting_user=pharmacist,
    )
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "partially-dispensed"
    with pytest.raises(ValidationError, match="Only 20 remain"):
        medication_dispense(
            order_id=order_id,
            version=3,
            quantity=Decimal(25),
            unit="tablet",
            lot="B",
            expiry=NEXT_YEAR,
            acting_user=pharmacist,
        )
    medication_dispense(
        order_id=order_id,
        version=3,
        quantity=Decimal(20),
        unit="tablet",
        lot="B",
        expiry=NEXT_YEAR,
        acting_user=pharmacist,
    )
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "dispensed"
    fills = sorted(d["type"]["coding"][0]["code"] for d in dispenses_of(order_id))
    assert fills == ["FFP", "RFC"]
    with pytest.raises(ValidationError, match="in full"):
        medication_dispense(
            order_id=order_id,
            version=4,
            quantity=Decimal(1),
            unit="tablet",
            lot="C",
            expiry=NEXT_YEAR,
            acting_user=pharmacist,
        )


def test_review_panel_shows_decision_support(as_pharmacist, signed_order, admitted):
    f.allergy(admitted["patient_id"])
    order_id = signed_order(drug=f.AMOXICILLIN)
    response = as_pharmacist.get(f"/pharmacy/orders/{order_id}/", **PANEL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the fragment only
    assert 'data-check="allergy"' in html
    assert "Allergy: Amoxicillin 500 MG Oral Tablet conflicts with Allergy to penicillin" in html
    assert "Critical alerts above" in html
    assert 'data-check="interaction"' in html and "no finding" in html


def test_review_panel_shows_the_dose_range_check(as_pharmacist, signed_order):
    weekly = signed_order(drug=f.METHOTREXATE, timing=f.WEEKLY)
    html = as_pharmacist.get(f"/pharmacy/orders/{weekly}/", **PANEL).content.decode()
    assert 'class="check check-clear" data-check="dose"' in html
    daily = signed_order(drug=f.METHOTREXATE)
    html = as_pharmacist.get(f"/pharmacy/orders/{daily}/", **PANEL).content.decode()
    assert 'class="check check-critical" data-check="dose"' in html
    assert "Dose above range: methotrexate 70 mg a week" in html


def test_verify_through_the_screen(as_pharmacist, signed_order):
    order_id = signed_order()
    response = as_pharmacist.post(f"/pharmacy/orders/{order_id}/verify/", {"version": 1}, **PANEL)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "pharmacy-changed"
    assert "Verified: Warfarin" in response.content.decode()
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "verified"


def test_verify_with_a_critical_alert_needs_a_comment(as_pharmacist, signed_order, admitted):
    f.allergy(admitted["patient_id"])
    order_id = signed_order(drug=f.AMOXICILLIN)
    refused = as_pharmacist.post(f"/pharmacy/orders/{order_id}/verify/", {"version": 1}, **PANEL)
    assert "say in the comment why" in refused.content.decode()
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "pending"
    as_pharmacist.post(
        f"/pharmacy/orders/{order_id}/verify/",
        {"version": 1, "comment": "Tolerated before"},
        **PANEL,
    )
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "verified"


def test_a_stale_screen_is_told_who_won(as_pharmacist, second_pharmacist, signed_order):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, acting_user=second_pharmacist)  # the other one
    response = as_pharmacist.post(f"/pharmacy/orders/{order_id}/verify/", {"version": 1}, **PANEL)
    html = response.content.decode()
    assert "Someone else acted on this order" in html
    assert "it is now verified by pharm-quinn" in html
    assert 'data-version="2"' in html  # re-rendered as it is now


def test_dispense_through_the_screen_without_htmx(as_pharmacist, pharmacist, signed_order):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    form = {
        "version": 2,
        "quantity": "7",
        "unit": "tablet",
        "lot": "X1",
        "expiry": NEXT_YEAR.isoformat(),
    }
    response = as_pharmacist.post(f"/pharmacy/orders/{order_id}/dispense/", form)
    assert response.status_code == 302 and response["Location"] == f"/pharmacy/orders/{order_id}/"
    page = as_pharmacist.get(response["Location"]).content.decode()
    assert "Dispensed: Warfarin" in page and "X1" in page and 'id="dispense-history"' in page


def test_an_expired_lot_is_refused(as_pharmacist, pharmacist, signed_order):
    order_id = signed_order()
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    form = {"version": 2, "quantity": "7", "unit": "tablet", "lot": "X1", "expiry": yesterday}
    response = as_pharmacist.post(f"/pharmacy/orders/{order_id}/dispense/", form, **PANEL)
    assert "This lot has expired" in response.content.decode()
    assert dispenses_of(order_id) == []


def test_returned_orders_partial_and_resubmit(as_physician, pharmacist, signed_order):
    order_id = signed_order()
    order_return(order_id=order_id, version=1, reason="Which INR target?", acting_user=pharmacist)
    page = as_physician.get("/pharmacy/returned/").content.decode()
    assert "Which INR target?" in page and 'id="returned-orders"' in page
    fragment = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "returned-orders"}
    response = as_physician.post(
        f"/pharmacy/orders/{order_id}/resubmit/", {"version": 2, "comment": "INR 2-3"}, **fragment
    )
    html = response.content.decode()
    assert "Resubmitted to the pharmacy" in html and "No orders returned" in html
    assert pharmacy_state(f.read("MedicationRequest", order_id)) == "pending"
