"""Medications tab: active and past lists; stopping with a coded reason."""

import pytest
from django.urls import reverse

from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_lists_active_and_past(patient_id, as_physician):
    f.create(f.medication_request(patient_id))
    f.create(
        f.medication_request(patient_id, "314076", "lisinopril 10 MG Oral Tablet", status="stopped")
    )
    html = as_physician.get(
        reverse("chart-medications", kwargs={"patient_id": patient_id}), **HTMX
    ).content.decode()
    active, past = html.split("<h3>Past</h3>")
    assert "Warfarin" in active and "lisinopril" in past


def test_stop_needs_a_reason_and_records_it(patient_id, as_physician):
    request_id = f.create(f.medication_request(patient_id))
    url = reverse(
        "chart-medication-stop", kwargs={"patient_id": patient_id, "request_id": request_id}
    )
    refused = as_physician.post(url, {"reason": ""}, **HTMX).content.decode()
    assert "This field is required." in refused
    assert FhirRepository().read("MedicationRequest", request_id).content["status"] == "active"
    done = as_physician.post(
        url, {"reason": "sintol", "comment": "nausea"}, **HTMX
    ).content.decode()
    assert "Stopped: Warfarin" in done
    stopped = FhirRepository().read("MedicationRequest", request_id).content
    assert stopped["status"] == "stopped"
    assert stopped["statusReason"]["coding"][0]["code"] == "sintol"
    assert stopped["statusReason"]["text"] == "Suspected intolerance: nausea"


def test_only_prescribers_stop(patient_id, as_nurse):
    request_id = f.create(f.medication_request(patient_id))
    url = reverse(
        "chart-medication-stop", kwargs={"patient_id": patient_id, "request_id": request_id}
    )
    assert as_nurse.post(url, {"reason": "sintol"}).status_code == 403


def test_another_patients_medication_is_not_found(patient_id, as_physician):
    other = f.create(f.patient("Other"))
    request_id = f.create(f.medication_request(other))
    url = reverse(
        "chart-medication-stop", kwargs={"patient_id": patient_id, "request_id": request_id}
    )
    assert as_physician.post(url, {"reason": "sintol"}).status_code == 404
