"""Every FHIR REST request leaves one audit record: who, from where, what, which patient, how
it ended and the request id, failures and refusals included."""

import pytest
from rest_framework.test import APIClient

from fhirapi.audit.models import AuditRecord
from fhirapi.services import FhirRepository
from fhirapi.store.validation import validate_resource
from tests.fhirapi.conftest import FHIR_JSON, observation, patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_id(db) -> str:
    return FhirRepository().create(patient()).stored.resource_id


@pytest.fixture
def observation_id(patient_id) -> str:
    return FhirRepository().create(observation(f"Patient/{patient_id}")).stored.resource_id


def only_record() -> AuditRecord:
    (record,) = AuditRecord.objects.all()
    return record


def test_read_of_a_patient(api, fhir_user, patient_id):
    api.fhir("GET", f"/fhir/Patient/{patient_id}", **{"X-Request-ID": "trace-me-12345"})
    record = only_record()
    assert record.username == fhir_user.username
    assert (record.action, record.subtype, record.outcome) == ("R", "read", "0")
    assert (record.resource_type, record.resource_id, record.patient_id) == (
        "Patient",
        patient_id,
        patient_id,
    )
    assert record.source_ip == "127.0.0.1"
    assert record.request_id == "trace-me-12345"


def test_the_audit_event_is_valid_fhir(api, observation_id):
    api.fhir("GET", f"/fhir/Observation/{observation_id}")
    event = only_record().content
    validate_resource(event, expected_type="AuditEvent")
    assert event["agent"][0]["network"] == {"address": "127.0.0.1", "type": "2"}
    references = [entity["what"]["reference"] for entity in event["entity"]]
    assert references[1] == f"Observation/{observation_id}"
    assert references[0].startswith("Patient/")


def test_read_of_an_observation_names_its_patient(api, patient_id, observation_id):
    api.fhir("GET", f"/fhir/Observation/{observation_id}")
    record = only_record()
    assert (record.resource_id, record.patient_id) == (observation_id, patient_id)


def test_vread_and_histories(api, patient_id):
    api.fhir("GET", f"/fhir/Patient/{patient_id}/_history/1")
    api.fhir("GET", f"/fhir/Patient/{patient_id}/_history")
    api.fhir("GET", "/fhir/Patient/_history")
    api.fhir("GET", "/fhir/_history")
    subtypes = list(AuditRecord.objects.order_by("pk").values_list("subtype", "patient_id"))
    assert subtypes == [
        ("vread", patient_id),
        ("history-instance", patient_id),
        ("history-type", ""),
        ("history-system", ""),
    ]


def test_search_records_the_query_and_the_patient_searched_for(api, patient_id):
    api.fhir("GET", f"/fhir/Observation?subject=Patient/{patient_id}&code=8480-6")
    record = only_record()
    assert (record.action, record.subtype, record.resource_type) == (
        "R",
        "search-type",
        "Observation",
    )
    assert record.patient_id == patient_id
    data_entity = record.content["entity"][-1]
    assert data_entity["role"]["code"] == "24"
    assert data_entity["query"]  # base64 of the query string


def test_create_update_patch_delete(api, patient_id):
    created = api.fhir("POST", "/fhir/Observation", observation(f"Patient/{patient_id}"))
    new_id = created.json()["id"]
    api.fhir("PUT", f"/fhir/Observation/{new_id}", observation(f"Patient/{patient_id}", id=new_id))
    api.fhir(
        "PATCH",
        f"/fhir/Observation/{new_id}",
        [{"op": "replace", "path": "/status", "value": "amended"}],
        content_type="application/json-patch+json",
    )
    api.fhir("DELETE", f"/fhir/Observation/{new_id}")
    rows = list(
        AuditRecord.objects.order_by("pk").values_list(
            "action", "subtype", "resource_id", "outcome"
        )
    )
    assert rows == [
        ("C", "create", new_id, "0"),
        ("U", "update", new_id, "0"),
        ("U", "patch", new_id, "0"),
        ("D", "delete", new_id, "0"),
    ]
    patients = set(
        AuditRecord.objects.exclude(subtype="delete").values_list("patient_id", flat=True)
    )
    assert patients == {patient_id}


def test_operation_and_transaction(api, patient_id):
    api.fhir("POST", "/fhir/Patient/$validate", patient())
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": patient(), "request": {"method": "POST", "url": "Patient"}}],
    }
    api.fhir("POST", "/fhir", bundle)
    rows = list(AuditRecord.objects.order_by("pk").values_list("action", "subtype"))
    assert rows == [("E", "operation"), ("E", "transaction")]


def test_a_failed_request_is_recorded_as_a_failure(api):
    api.fhir("GET", "/fhir/Patient/does-not-exist")
    record = only_record()
    assert (record.subtype, record.outcome, record.patient_id) == ("read", "4", "does-not-exist")
    assert "404" in record.content["outcomeDesc"]


def test_an_unauthenticated_request_is_recorded(patient_id):
    response = APIClient().get(f"/fhir/Patient/{patient_id}", HTTP_ACCEPT=FHIR_JSON)
    assert response.status_code == 401
    record = only_record()
    assert (record.username, record.outcome, record.patient_id) == ("", "4", patient_id)
    assert record.content["agent"][0]["who"] == {"display": "anonymous"}


def test_a_forbidden_request_is_recorded(api, fhir_user):
    fhir_user.groups.clear()  # not an auditor
    response = api.fhir("GET", "/fhir/AuditEvent")
    assert response.status_code == 403
    record = only_record()
    assert (record.resource_type, record.subtype, record.outcome) == (
        "AuditEvent",
        "search-type",
        "4",
    )


def test_the_capability_statement_is_not_audited(api):
    assert api.fhir("GET", "/fhir/metadata").status_code == 200
    assert not AuditRecord.objects.exists()
