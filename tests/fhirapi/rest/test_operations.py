import pytest

from fhirapi.store.models import ResourceRecord
from tests.fhirapi.conftest import patient

pytestmark = pytest.mark.django_db

TAG = {"system": "http://example.org/tags", "code": "vip"}


def test_validate_reports_problems_without_storing(api):
    ok = api.fhir("POST", "/fhir/Patient/$validate", patient())
    assert ok.status_code == 200
    assert ok.json()["issue"][0]["severity"] == "information"
    bad = api.fhir("POST", "/fhir/Patient/$validate", patient(birthDate="yesterday"))
    assert bad.status_code == 200
    assert any(i["severity"] == "error" for i in bad.json()["issue"])
    wrapped = {
        "resourceType": "Parameters",
        "parameter": [{"name": "resource", "resource": patient()}],
    }
    assert (
        api.fhir("POST", "/fhir/Patient/$validate", wrapped).json()["issue"][0]["severity"]
        == "information"
    )
    assert not ResourceRecord.objects.exists()


def test_validate_an_instance(api):
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    response = api.fhir("POST", f"/fhir/Patient/{pid}/$validate", patient(id=pid))
    assert response.status_code == 200


def test_meta_add_and_delete_do_not_create_versions(api):
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    add = {
        "resourceType": "Parameters",
        "parameter": [{"name": "meta", "valueMeta": {"tag": [TAG]}}],
    }
    added = api.fhir("POST", f"/fhir/Patient/{pid}/$meta-add", add)
    assert added.status_code == 200
    assert added.json()["parameter"][0]["valueMeta"]["tag"] == [TAG]
    current = api.get(f"/fhir/Patient/{pid}").json()
    assert current["meta"]["tag"] == [TAG]
    assert current["meta"]["versionId"] == "1"
    assert api.get("/fhir/Patient/$meta").json()["parameter"][0]["valueMeta"]["tag"] == [TAG]
    assert api.get("/fhir/$meta").json()["parameter"][0]["valueMeta"]["tag"] == [TAG]
    removed = api.fhir("POST", f"/fhir/Patient/{pid}/$meta-delete", add)
    assert "tag" not in removed.json()["parameter"][0]["valueMeta"]
    assert "tag" not in api.get(f"/fhir/Patient/{pid}/$meta").json()["parameter"][0]["valueMeta"]


def test_meta_add_needs_post_and_a_meta_parameter(api):
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    assert api.get(f"/fhir/Patient/{pid}/$meta-add").status_code == 405
    assert (
        api.fhir(
            "POST", f"/fhir/Patient/{pid}/$meta-add", {"resourceType": "Parameters"}
        ).status_code
        == 400
    )


def test_unknown_operation_is_404(api):
    assert api.get("/fhir/Patient/$teleport").status_code == 404
