"""CPOE: medication and lab/imaging orders are drafted, reviewed with order-sign decision
support before they are final, then signed (or the suggestion accepted, or the draft kept)."""

import pytest
from django.urls import reverse

from clinical.orders.forms import MedicationOrderForm, ServiceOrderForm
from fhirapi.audit.models import AuditRecord
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ASPIRIN = f"{RXNORM}|243670|Aspirin 81 MG Oral Tablet"
LISINOPRIL = f"{RXNORM}|314076|lisinopril 10 MG Oral Tablet"


def requests(patient_id: str, resource_type: str = "MedicationRequest") -> list[dict]:
    bundle = FhirRepository().search_bundle(
        resource_type, [("patient", patient_id), ("_count", "50")], base_url=""
    )
    return [e["resource"] for e in bundle.get("entry", [])]


def draft(client, patient_id: str, drug: str = ASPIRIN, **extra):
    data = {"order_kind": "medication", "drug": drug, **extra}
    return client.post(reverse("chart-orders", kwargs={"patient_id": patient_id}), data, **HTMX)


def test_medication_form_validates_on_the_server():
    form = MedicationOrderForm({"drug": "nonsense", "dose": "-1"})
    assert not form.is_valid() and "drug" in form.errors
    form = MedicationOrderForm({"drug": ASPIRIN, "dose": "500", "dose_unit": "tablet"})
    assert not form.is_valid() and "not plausible" in form.errors["dose"][0]
    form = MedicationOrderForm({"drug": ASPIRIN})
    assert form.is_valid(), form.errors  # the catalog's usual dose, route, frequency
    assert (
        form.cleaned_data["dose"],
        form.cleaned_data["route"],
        form.cleaned_data["frequency"],
    ) == (1, "oral", "daily")


def test_imaging_order_needs_a_clinical_question():
    form = ServiceOrderForm(
        {
            "imaging-code": "http://loinc.org|36643-5|XR Chest 2 Views",
            "imaging-priority": "routine",
        },
        kind="imaging",
    )
    assert not form.is_valid() and "reason" in form.errors


def test_draft_then_sign_without_alerts(patient_id, as_physician):
    response = draft(
        as_physician,
        patient_id,
        LISINOPRIL,
        dose="1",
        dose_unit="tablet",
        route="oral",
        frequency="daily",
        duration_days="30",
    )
    html = response.content.decode()
    assert "Review order before signing" in html and "No alerts for this order." in html
    order = requests(patient_id)[0]
    assert order["status"] == "draft" and order["intent"] == "order"
    dosage = order["dosageInstruction"][0]
    assert dosage["route"]["coding"][0]["code"] == "26643006"
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert order["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    sign_url = response["HX-Replace-Url"]
    signed = as_physician.post(sign_url, {"sign": "1"}, **HTMX)
    assert (
        "Order signed" in signed.content.decode()
        and "active-medications" in signed.content.decode()
    )
    order = requests(patient_id)[0]
    assert order["status"] == "active" and order["requester"]["reference"].startswith(
        "Practitioner/wintehr-user-"
    )
    assert AuditRecord.objects.filter(
        patient_id=patient_id, subtype="update", resource_type="MedicationRequest"
    ).exists()


def test_interaction_card_shows_before_signing_and_needs_a_reason(patient_id, as_physician):
    f.create(f.medication_request(patient_id))  # warfarin, active
    response = draft(as_physician, patient_id)
    html = response.content.decode()
    assert "Interaction (major)" in html and "Warfarin" in html
    sign_url = response["HX-Replace-Url"]
    refused = as_physician.post(sign_url, {"sign": "1"}, **HTMX).content.decode()
    assert "Give a reason to override this alert" in refused
    assert [
        o["status"]
        for o in requests(patient_id)
        if "Aspirin" in o["medicationCodeableConcept"]["text"]
    ] == ["draft"]
    key = refused.split('name="reason-')[1].split('"')[0]
    signed = as_physician.post(sign_url, {"sign": "1", f"reason-{key}": "will-monitor"}, **HTMX)
    assert "Order signed: Aspirin 81 MG Oral Tablet" in signed.content.decode()
    statuses = sorted(o["status"] for o in requests(patient_id))
    assert statuses == ["active", "active"]
    assert AuditRecord.objects.filter(patient_id=patient_id, subtype="operation").exists()


def test_a_daily_methotrexate_order_is_flagged_before_signing(patient_id, as_physician):
    methotrexate = f"{RXNORM}|105586|Methotrexate 10 MG Oral Tablet"
    weekly = draft(as_physician, patient_id, methotrexate, dose="1", frequency="weekly")
    assert "No alerts for this order." in weekly.content.decode()
    daily = draft(as_physician, patient_id, methotrexate, dose="1", frequency="daily")
    html = daily.content.decode()
    assert "Dose above range: methotrexate 70 mg a week (usual 7.5-25 mg a week)" in html
    assert "indicator-critical" in html


def test_accepting_the_cancel_suggestion_removes_the_draft(patient_id, as_physician):
    f.create(f.medication_request(patient_id))
    review = draft(as_physician, patient_id)
    html = review.content.decode()
    key = html.split('name="card" value="')[1].split('"')[0]
    suggestion = html.split('name="suggestion" value="')[1].split('"')[0]
    order_id = review["HX-Replace-Url"].rstrip("/").split("/")[-2]
    accept = reverse(
        "chart-order-accept",
        kwargs={
            "patient_id": patient_id,
            "resource_type": "MedicationRequest",
            "order_id": order_id,
        },
    )
    done = as_physician.post(
        accept, {"card": key, "suggestion": suggestion}, **HTMX
    ).content.decode()
    assert "was cancelled" in done
    assert [o["status"] for o in requests(patient_id)] == ["active"]  # only the warfarin


def test_going_back_keeps_the_draft_listed(patient_id, as_physician):
    draft(as_physician, patient_id, LISINOPRIL)
    html = as_physician.get(
        reverse("chart-orders", kwargs={"patient_id": patient_id}), **HTMX
    ).content.decode()
    assert (
        "lisinopril 10 MG Oral Tablet"
        in html.split("Drafts awaiting signature")[1].split("Active orders")[0]
    )


def test_discarding_a_draft(patient_id, as_physician):
    review = draft(as_physician, patient_id, LISINOPRIL)
    order_id = review["HX-Replace-Url"].rstrip("/").split("/")[-2]
    url = reverse(
        "chart-order-discard",
        kwargs={
            "patient_id": patient_id,
            "resource_type": "MedicationRequest",
            "order_id": order_id,
        },
    )
    assert "Draft discarded" in as_physician.post(url, **HTMX).content.decode()
    assert requests(patient_id) == []


def test_lab_order_becomes_an_active_service_request(patient_id, as_physician):
    url = reverse("chart-orders", kwargs={"patient_id": patient_id})
    data = {
        "order_kind": "lab-tests",
        "lab-tests-code": "http://loinc.org|51990-0|Basic metabolic panel - Blood",
        "lab-tests-priority": "urgent",
    }
    review = as_physician.post(url, data, **HTMX)
    as_physician.post(review["HX-Replace-Url"], {"sign": "1"}, **HTMX)
    [order] = requests(patient_id, "ServiceRequest")
    assert order["status"] == "active" and order["priority"] == "urgent"
    assert order["category"][0]["coding"][0]["code"] == "108252007"
    assert order["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "51990-0",
        "display": "Basic metabolic panel - Blood",
    }


def test_nurses_and_pharmacists_cannot_order(patient_id, as_nurse, as_pharmacist):
    assert draft(as_nurse, patient_id).status_code == 403
    assert draft(as_pharmacist, patient_id).status_code == 403
    assert requests(patient_id) == []


def test_invalid_order_rerenders_with_field_errors(patient_id, as_physician):
    html = draft(as_physician, patient_id, "", dose="abc").content.decode()
    assert "Search, then choose one from the list." in html and "Enter a number." in html
    assert requests(patient_id) == []


def compose(client, patient_id: str, drug: str, **extra):
    url = reverse("chart-order-select", kwargs={"patient_id": patient_id})
    data = {"order_kind": "medication", "drug": drug, **extra}
    return client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="order-select-cards")


def test_order_select_shows_the_interaction_while_composing(patient_id, as_physician):
    f.create(f.medication_request(patient_id))  # warfarin, active
    html = compose(as_physician, patient_id, ASPIRIN).content.decode()
    assert "Interaction (major): Aspirin 81 MG Oral Tablet + Warfarin" in html
    assert "indicator-warning" in html and 'name="suggestion"' in html  # acted on here too
    assert [o["status"] for o in requests(patient_id)] == ["active"]  # nothing was saved
    calm = compose(as_physician, patient_id, LISINOPRIL).content.decode()
    assert "No alerts for this order so far." in calm and "Interaction" not in calm
    assert "Decision support" not in compose(as_physician, patient_id, "").content.decode()
    assert AuditRecord.objects.filter(
        patient_id=patient_id, content__outcomeDesc__icontains="while composing"
    ).exists()


def test_order_select_follows_dose_and_frequency_changes(patient_id, as_physician):
    methotrexate = f"{RXNORM}|105586|Methotrexate 10 MG Oral Tablet"
    weekly = compose(as_physician, patient_id, methotrexate, dose="1", frequency="weekly")
    assert "No alerts for this order so far." in weekly.content.decode()
    daily = compose(as_physician, patient_id, methotrexate, dose="1", frequency="daily")
    assert "Dose above range: methotrexate 70 mg a week" in daily.content.decode()
    assert requests(patient_id) == []


def test_only_prescribers_compose_with_order_select(patient_id, as_nurse):
    assert compose(as_nurse, patient_id, ASPIRIN).status_code == 403
