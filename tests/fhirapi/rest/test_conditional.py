"""Conditional create, update and delete, and conditional references in transactions."""

import threading

import pytest
from django.db import connection

from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.conftest import observation, patient

MRN = "urn:mrn"


def with_mrn(value: str, **extra) -> dict:
    return patient(identifier=[{"system": MRN, "value": value}], **extra)


def current(resource_type: str = "Patient") -> int:
    return ResourceRecord.objects.filter(resource_type=resource_type, deleted=False).count()


@pytest.mark.django_db
def test_if_none_exist_creates_when_nothing_matches_and_returns_the_match_otherwise(api):
    query = f"identifier={MRN}|1"
    first = api.fhir("POST", "/fhir/Patient", with_mrn("1"), **{"If-None-Exist": query})
    assert first.status_code == 201
    again = api.fhir("POST", "/fhir/Patient", with_mrn("1"), **{"If-None-Exist": query})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert current() == 1


@pytest.mark.django_db
def test_if_none_exist_with_several_matches_is_412(api):
    for _ in range(2):
        api.fhir("POST", "/fhir/Patient", with_mrn("dup"))
    response = api.fhir(
        "POST", "/fhir/Patient", with_mrn("dup"), **{"If-None-Exist": f"identifier={MRN}|dup"}
    )
    assert response.status_code == 412


@pytest.mark.django_db
def test_if_none_exist_with_an_unknown_parameter_is_400(api):
    response = api.fhir("POST", "/fhir/Patient", patient(), **{"If-None-Exist": "nonsense=1"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_conditional_update_creates_then_updates_the_match(api):
    url = f"/fhir/Patient?identifier={MRN}|7"
    created = api.fhir("PUT", url, with_mrn("7"))
    assert created.status_code == 201
    updated = api.fhir("PUT", url, with_mrn("7", gender="female"))
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated.json()["meta"]["versionId"] == "2"
    assert current() == 1


@pytest.mark.django_db
def test_conditional_update_with_several_matches_is_412(api):
    for _ in range(2):
        api.fhir("POST", "/fhir/Patient", with_mrn("two"))
    assert (
        api.fhir("PUT", f"/fhir/Patient?identifier={MRN}|two", with_mrn("two")).status_code == 412
    )


@pytest.mark.django_db
def test_conditional_delete_single_and_multiple(api, settings):
    for value in ("a", "b", "b"):
        api.fhir("POST", "/fhir/Patient", with_mrn(value))
    assert api.fhir("DELETE", f"/fhir/Patient?identifier={MRN}|a").status_code == 200
    assert current() == 2
    settings.FHIR_CONDITIONAL_DELETE_MULTIPLE = False
    assert api.fhir("DELETE", f"/fhir/Patient?identifier={MRN}|b").status_code == 412
    response = api.fhir(
        "DELETE", f"/fhir/Patient?identifier={MRN}|b", **{"Prefer": "handling=multiple"}
    )
    assert response.status_code == 200
    assert current() == 0
    assert api.fhir("DELETE", f"/fhir/Patient?identifier={MRN}|none").status_code == 200


@pytest.mark.django_db
def test_conditional_delete_needs_parameters(api):
    assert api.fhir("DELETE", "/fhir/Patient").status_code == 412


@pytest.mark.django_db
def test_transaction_resolves_conditional_references(api):
    pid = api.fhir("POST", "/fhir/Patient", with_mrn("ref")).json()["id"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": observation(f"Patient?identifier={MRN}|ref"),
                "request": {"method": "POST", "url": "Observation"},
            },
            {
                "resource": with_mrn("new"),
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": f"identifier={MRN}|ref",
                },
            },
        ],
    }
    response = api.fhir("POST", "/fhir", bundle)
    assert response.status_code == 200, response.json()
    entries = response.json()["entry"]
    assert entries[1]["response"]["status"] == "200 OK"  # the existing Patient matched
    obs = api.fhir("GET", "/fhir/" + entries[0]["response"]["location"].split("/_history")[0])
    assert obs.json()["subject"]["reference"] == f"Patient/{pid}"


@pytest.mark.django_db
def test_conditional_reference_matching_nothing_fails_the_transaction(api):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": observation(f"Patient?identifier={MRN}|nobody"),
                "request": {"method": "POST", "url": "Observation"},
            }
        ],
    }
    assert api.fhir("POST", "/fhir", bundle).status_code == 422
    assert current("Observation") == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_conditional_creates_make_one_resource():
    barrier = threading.Barrier(4)
    outcomes: list[bool] = []

    def create() -> None:
        try:
            barrier.wait(timeout=10)
            outcome = FhirRepository().conditional_create(
                with_mrn("race"), if_none_exist=f"identifier={MRN}|race"
            )
            outcomes.append(outcome.created)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [False, False, False, True]
    assert current() == 1
