"""Medications tab: active and past lists; stopping with a coded reason."""

import pytest
from django.urls import reverse

from clinical.medications.reconciliation import Decision, medication_reconcile
from clinical.medications.selectors import reconcile_items
from fhirapi.audit.models import AuditRecord
from fhirapi.errors import VersionConflict
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


def reconcile_url(patient_id: str) -> str:
    return reverse("chart-medication-reconcile", kwargs={"patient_id": patient_id})


def read(reference: str) -> dict:
    resource_type, resource_id = reference.split("/")
    return FhirRepository().read(resource_type, resource_id).content


def reconciliations(patient_id: str) -> list[dict]:
    bundle = FhirRepository().search_bundle("List", [("patient", patient_id)], base_url="")
    return [e["resource"] for e in bundle.get("entry", [])]


def test_reconcile_lists_orders_and_statements(patient_id, as_physician):
    f.create(f.medication_request(patient_id))
    f.create(f.medication_statement(patient_id))
    f.create(f.medication_statement(patient_id, "198211", "Simvastatin 40 MG", status="stopped"))
    html = as_physician.get(reconcile_url(patient_id), **HTMX).content.decode()
    assert "Reconcile medications" in html
    assert "Warfarin Sodium 5 MG Oral Tablet" in html and "(order)" in html
    assert "lisinopril 10 MG Oral Tablet" in html and "(statement)" in html
    assert "Simvastatin" not in html  # not active


def test_reconciling_stops_with_reason_and_records_a_list(patient_id, as_physician):
    order = f"MedicationRequest/{f.create(f.medication_request(patient_id))}"
    statement = f"MedicationStatement/{f.create(f.medication_statement(patient_id))}"
    other = f.medication_request(patient_id, "197361", "Amlodipine 5 MG Oral Tablet")
    changed = f"MedicationRequest/{f.create(other)}"
    data = {
        f"{order.replace('/', '-')}-decision": "continue",
        f"{statement.replace('/', '-')}-decision": "stop",
        f"{statement.replace('/', '-')}-reason": "sintol",
        f"{changed.replace('/', '-')}-decision": "modify",
        f"{changed.replace('/', '-')}-comment": "10 mg daily",
    }
    html = as_physician.post(reconcile_url(patient_id), data, **HTMX).content.decode()
    assert "Medications reconciled: 1 continued, 1 stopped, 1 to modify." in html
    assert read(order)["status"] == "active" and read(changed)["status"] == "active"
    stopped = read(statement)
    assert stopped["status"] == "stopped"
    assert stopped["statusReason"][0]["coding"][0]["code"] == "sintol"
    [recorded] = reconciliations(patient_id)
    assert (recorded["status"], recorded["mode"]) == ("current", "snapshot")
    assert recorded["code"]["coding"][0]["code"] == "medications"
    flags = {e["item"]["reference"]: e["flag"]["coding"][0]["code"] for e in recorded["entry"]}
    assert flags == {order: "01", statement: "05", changed: "02"}
    assert AuditRecord.objects.filter(
        patient_id=patient_id, content__outcomeDesc__icontains="medications reconciled"
    ).exists()


def test_stopping_without_a_reason_rerenders_and_writes_nothing(patient_id, as_physician):
    order = f.create(f.medication_request(patient_id))
    data = {f"MedicationRequest-{order}-decision": "stop"}
    html = as_physician.post(reconcile_url(patient_id), data, **HTMX).content.decode()
    assert "Give a reason for stopping." in html
    undecided = as_physician.post(reconcile_url(patient_id), {}, **HTMX).content.decode()
    assert "This field is required." in undecided
    assert read(f"MedicationRequest/{order}")["status"] == "active"
    assert reconciliations(patient_id) == []


def test_a_refused_reconciliation_leaves_nothing_half_written(patient_id, physician):
    first = f.create(f.medication_request(patient_id))
    f.create(f.medication_statement(patient_id))
    items = reconcile_items(user=physician, patient_id=patient_id)
    stale = next(i for i in items if i.kind == "order")
    FhirRepository().update(
        "MedicationRequest", first, {**stale.resource, "note": [{"text": "changed meanwhile"}]}
    )
    decisions = [Decision(i, "stop", "sintol", "Suspected intolerance") for i in items]
    with pytest.raises(VersionConflict):
        medication_reconcile(
            patient_id=patient_id, decisions=decisions, encounter_id=None, acting_user=physician
        )
    assert len(reconcile_items(user=physician, patient_id=patient_id)) == 2
    assert all(
        i.resource["status"] == "active"
        for i in reconcile_items(user=physician, patient_id=patient_id)
    )
    assert reconciliations(patient_id) == []


def test_only_prescribers_reconcile(patient_id, as_nurse):
    assert as_nurse.get(reconcile_url(patient_id), **HTMX).status_code == 403
