"""Allergies: add with reaction and severity, edit, entered-in-error, no known allergies."""

import pytest
from django.urls import reverse

from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db
PEANUT = "http://snomed.info/sct|256349002|Peanut"


def allergies(patient_id: str) -> list[dict]:
    bundle = FhirRepository().search_bundle(
        "AllergyIntolerance", [("patient", patient_id)], base_url=""
    )
    return [e["resource"] for e in bundle.get("entry", [])]


def add(client, patient_id: str, **extra):
    data = {
        "code": PEANUT,
        "category": "food",
        "criticality": "high",
        "clinical_status": "active",
        "verification": "confirmed",
        "manifestation": "39579001",
        "severity": "severe",
        **extra,
    }
    return client.post(reverse("chart-allergies", kwargs={"patient_id": patient_id}), data, **HTMX)


def test_add_with_reaction_updates_the_header(patient_id, as_nurse):
    html = add(as_nurse, patient_id).content.decode()
    assert "Allergy recorded: Peanut." in html
    assert 'hx-swap-oob="true"' in html and "Allergies:</strong> Peanut" in html
    [allergy] = allergies(patient_id)
    assert allergy["reaction"][0]["severity"] == "severe"
    assert allergy["reaction"][0]["manifestation"][0]["coding"][0]["code"] == "39579001"
    assert allergy["recorder"]["reference"].startswith("Practitioner/")


def test_severity_without_a_reaction_is_refused(patient_id, as_nurse):
    html = add(as_nurse, patient_id, manifestation="").content.decode()
    assert "Say what the reaction was" in html and allergies(patient_id) == []


def test_no_known_allergies_then_a_real_one_retires_it(patient_id, as_nurse):
    nka = reverse("chart-allergies-none-known", kwargs={"patient_id": patient_id})
    assert "No known allergies recorded." in as_nurse.post(nka, **HTMX).content.decode()
    assert "already recorded" in as_nurse.post(nka, **HTMX).content.decode()
    add(as_nurse, patient_id)
    by_code = {a["code"]["coding"][0]["code"]: a for a in allergies(patient_id)}
    assert by_code["716186003"]["clinicalStatus"]["coding"][0]["code"] == "inactive"
    refused = as_nurse.post(nka, **HTMX).content.decode()
    assert "has recorded allergies" in refused


def test_entered_in_error_needs_a_reason_and_drops_the_clinical_status(patient_id, as_nurse):
    allergy_id = f.create(f.allergy(patient_id))
    url = reverse(
        "chart-allergy-error", kwargs={"patient_id": patient_id, "allergy_id": allergy_id}
    )
    assert "This field is required." in as_nurse.post(url, {"reason": ""}, **HTMX).content.decode()
    html = as_nurse.post(url, {"reason": "wrong patient"}, **HTMX).content.decode()
    assert "Allergies not recorded" in html  # the header, swapped out of band
    [allergy] = allergies(patient_id)
    assert allergy["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert (
        "clinicalStatus" not in allergy
        and allergy["note"][-1]["text"] == "Entered in error: wrong patient"
    )


def test_edit_changes_criticality(patient_id, as_nurse):
    allergy_id = f.create(f.allergy(patient_id))
    url = reverse("chart-allergy-edit", kwargs={"patient_id": patient_id, "allergy_id": allergy_id})
    assert "Edit allergy: Penicillin" in as_nurse.get(url, **HTMX).content.decode()
    as_nurse.post(
        url,
        {
            "category": "medication",
            "criticality": "low",
            "clinical_status": "active",
            "verification": "confirmed",
            "version": "1",
        },
        **HTMX,
    )
    [allergy] = allergies(patient_id)
    assert allergy["criticality"] == "low" and allergy["code"]["text"] == "Penicillin"
