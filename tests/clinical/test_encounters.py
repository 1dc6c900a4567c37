"""Encounters: list, start (check-in), discharge."""

import pytest
from django.urls import reverse

from cds.models import CardFeedback
from cds.rules.services import RuleContent, rule_create, rule_set_enabled
from fhirapi.audit.models import AuditRecord
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db


def encounters(patient_id: str) -> list[dict]:
    bundle = FhirRepository().search_bundle("Encounter", [("patient", patient_id)], base_url="")
    return [e["resource"] for e in bundle.get("entry", [])]


def test_start_then_discharge(patient_id, as_nurse):
    ward = f.create(f.location("Ward 3"))
    url = reverse("chart-encounters", kwargs={"patient_id": patient_id})
    html = as_nurse.post(
        url, {"encounter_class": "IMP", "encounter_type": "32485007", "location": ward}, **HTMX
    ).content.decode()
    assert "the patient is checked in" in html and "Hospital admission" in html
    [encounter] = encounters(patient_id)
    assert (
        encounter["status"] == "in-progress"
        and encounter["location"][0]["location"]["reference"] == f"Location/{ward}"
    )
    again = as_nurse.post(
        url, {"encounter_class": "AMB", "encounter_type": "185349003"}, **HTMX
    ).content.decode()
    assert "already has an open encounter" in again
    discharge = reverse(
        "chart-encounter-discharge",
        kwargs={"patient_id": patient_id, "encounter_id": encounter["id"]},
    )
    as_nurse.post(discharge, {"disposition": "home"}, **HTMX)
    [encounter] = encounters(patient_id)
    assert encounter["status"] == "finished" and "end" in encounter["period"]
    assert encounter["location"][0]["status"] == "completed"
    assert encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "home"


def test_admission_needs_a_location(patient_id, as_nurse):
    url = reverse("chart-encounters", kwargs={"patient_id": patient_id})
    html = as_nurse.post(
        url, {"encounter_class": "IMP", "encounter_type": "32485007"}, **HTMX
    ).content.decode()
    assert "An admission needs a ward or bed." in html and encounters(patient_id) == []


def test_discharge_review_shows_the_encounter_discharge_cards(patient_id, as_nurse):
    encounter_id = f.create(f.encounter(patient_id))
    f.create(f.medication_request(patient_id))  # warfarin, not reconciled for discharge
    url = reverse(
        "chart-encounter-discharge",
        kwargs={"patient_id": patient_id, "encounter_id": encounter_id},
    )
    listing = as_nurse.get(reverse("chart-encounters", kwargs={"patient_id": patient_id}), **HTMX)
    assert f'href="{url}"' in listing.content.decode()

    page = as_nurse.get(url)  # the review is also a whole page (a link works without JS)
    assert page.status_code == 200 and "Review discharge" in page.content.decode()
    review = as_nurse.get(url, **HTMX).content.decode()
    assert "Review discharge" in review
    assert "1 medication(s) not reconciled for discharge" in review
    card = review.split('name="reason-')[1].split('"')[0]

    refused = as_nurse.post(url, {"disposition": "home"}, **HTMX).content.decode()
    assert "Give a reason to override this alert" in refused
    [encounter] = encounters(patient_id)
    assert encounter["status"] == "in-progress"

    done = as_nurse.post(
        url, {"disposition": "home", f"reason-{card}": "will-monitor"}, **HTMX
    ).content.decode()
    assert "Patient discharged." in done
    [encounter] = encounters(patient_id)
    assert encounter["status"] == "finished"
    feedback = CardFeedback.objects.get()
    assert (feedback.service_id, feedback.outcome) == ("discharge-readiness", "overridden")
    assert feedback.override_reason["code"] == "will-monitor"
    assert AuditRecord.objects.filter(
        patient_id=patient_id, content__outcomeDesc__icontains="card overridden: 1 medication(s)"
    ).exists()


def test_discharge_review_needs_the_edit_permission(patient_id, as_pharmacist):
    encounter_id = f.create(f.encounter(patient_id))
    url = reverse(
        "chart-encounter-discharge",
        kwargs={"patient_id": patient_id, "encounter_id": encounter_id},
    )
    assert as_pharmacist.get(url, **HTMX).status_code == 403


def discharge_url(patient_id: str, encounter_id: str) -> str:
    return reverse(
        "chart-encounter-discharge",
        kwargs={"patient_id": patient_id, "encounter_id": encounter_id},
    )


def test_discharge_card_clears_after_reconciliation(patient_id, as_physician):
    encounter_id = f.create(f.encounter(patient_id))
    order = f.create(f.medication_request(patient_id))
    url = discharge_url(patient_id, encounter_id)
    assert "1 medication(s) not reconciled" in as_physician.get(url, **HTMX).content.decode()
    as_physician.post(
        reverse("chart-medication-reconcile", kwargs={"patient_id": patient_id}),
        {f"MedicationRequest-{order}-decision": "continue"},
        **HTMX,
    )
    [reconciliation] = FhirRepository().search_bundle(
        "List", [("patient", patient_id)], base_url=""
    )["entry"]
    assert reconciliation["resource"]["encounter"]["reference"] == f"Encounter/{encounter_id}"
    review = as_physician.get(url, **HTMX).content.decode()
    assert "not reconciled" not in review and "No alerts for this discharge." in review


@pytest.fixture
def follow_up_rule(physician):
    """An encounter-discharge rule whose card suggests ordering a follow-up visit."""
    follow_up = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": {"text": "Follow-up visit in 2 weeks"},
        "subject": {"reference": "Patient/{{context.patientId}}"},
    }
    content = RuleContent(
        title="Follow-up at discharge",
        description="Every discharged patient gets a follow-up visit.",
        hook="encounter-discharge",
        conditions=[{"type": "age", "min": 18}],
        card={
            "indicator": "info",
            "summary": "Book a follow-up visit",
            "suggestion": {
                "label": "Order the follow-up visit",
                "actions": [{"type": "create", "description": "follow-up", "resource": follow_up}],
            },
        },
    )
    rule = rule_create(slug="discharge-follow-up", content=content, acting_user=physician)
    rule_set_enabled(rule=rule, enabled=True, acting_user=physician)


def test_a_discharge_suggestion_is_accepted_in_one_transaction(
    patient_id, follow_up_rule, as_physician
):
    encounter_id = f.create(f.encounter(patient_id))
    review = as_physician.get(discharge_url(patient_id, encounter_id), **HTMX).content.decode()
    assert "Book a follow-up visit" in review
    card = review.split('name="card" value="')[1].split('"')[0]
    suggestion = review.split('name="suggestion" value="')[1].split('"')[0]
    accept = reverse(
        "chart-discharge-accept", kwargs={"patient_id": patient_id, "encounter_id": encounter_id}
    )
    assert f'hx-post="{accept}"' in review
    wrong = as_physician.post(accept, {"card": card, "suggestion": "nope"}, **HTMX)
    assert "That suggestion is no longer offered." in wrong.content.decode()
    done = as_physician.post(accept, {"card": card, "suggestion": suggestion}, **HTMX)
    assert "Suggestion accepted: Book a follow-up visit" in done.content.decode()
    assert "Review discharge" in done.content.decode()
    orders = FhirRepository().search_bundle(
        "ServiceRequest", [("patient", patient_id)], base_url=""
    )["entry"]
    assert [o["resource"]["code"]["text"] for o in orders] == ["Follow-up visit in 2 weeks"]
    assert CardFeedback.objects.get().outcome == "accepted"
    again = as_physician.post(accept, {"card": card, "suggestion": suggestion}, **HTMX)
    assert "That alert is no longer shown." in again.content.decode()
    assert (
        len(
            FhirRepository().search_bundle(
                "ServiceRequest", [("patient", patient_id)], base_url=""
            )["entry"]
        )
        == 1
    )
    [encounter] = encounters(patient_id)
    assert encounter["status"] == "in-progress"
