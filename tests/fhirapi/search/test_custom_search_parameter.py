"""Custom SearchParameters: searchable once written (after commit), existing data reindexed by
`$reindex` (202 + status URL; the task runs eagerly without Redis)."""

import pytest

from fhirapi.search import custom_params
from fhirapi.search.registry import get_parameter, unregister_custom

pytestmark = pytest.mark.django_db

URL = "http://example.org/fhir/SearchParameter/patient-nickname"
NICKNAME = {
    "resourceType": "SearchParameter",
    "url": URL,
    "name": "nickname",
    "status": "active",
    "description": "A nickname (name.where(use='nickname').given)",
    "code": "nickname",
    "base": ["Patient"],
    "type": "string",
    "expression": "Patient.name.where(use='nickname').given",
}


@pytest.fixture
def forget_custom():
    yield
    unregister_custom(URL)
    custom_params._state.update(fingerprint=None, urls=frozenset())


def patient(given: str) -> dict:
    return {"resourceType": "Patient", "name": [{"use": "nickname", "given": [given]}]}


def found(api, query: str) -> int:
    bundle = api.get(f"/fhir/Patient?{query}&_total=accurate").json()
    return bundle.get("total", 0)


def test_a_posted_search_parameter_becomes_searchable_and_reindex_finds_old_data(
    api, forget_custom, django_capture_on_commit_callbacks
):
    assert api.fhir("POST", "/fhir/Patient", patient("Zippy")).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert api.fhir("POST", "/fhir/SearchParameter", NICKNAME).status_code == 201
    assert get_parameter("Patient", "nickname") is not None
    assert api.fhir("POST", "/fhir/Patient", patient("Zappy")).status_code == 201
    assert found(api, "nickname=Zappy") == 1
    assert found(api, "nickname=Zippy") == 0  # written before the parameter existed

    kickoff = api.fhir("POST", "/fhir/$reindex?type=Patient")
    assert kickoff.status_code == 202
    status_url = kickoff["Content-Location"]
    status = api.get(status_url.removeprefix("http://testserver")).json()
    values = {
        p["name"]: next(v for k, v in p.items() if k.startswith("value"))
        for p in status["parameter"]
    }
    assert values["status"] == "completed"
    assert values["processed"] == values["total"] >= 2
    assert found(api, "nickname=Zippy") == 1


def test_stored_search_parameters_load_before_the_first_search(repository, forget_custom):
    repository.create(NICKNAME)
    custom_params._state.update(fingerprint=None)
    repository.create(patient("Zoom"))
    custom_params.ensure_custom_parameters()
    assert get_parameter("Patient", "nickname") is not None


def test_unknown_reindex_job_and_types(api):
    assert api.get("/fhir/$reindex?job=nope").status_code == 404
    assert api.fhir("POST", "/fhir/$reindex?type=Nope").status_code == 400
