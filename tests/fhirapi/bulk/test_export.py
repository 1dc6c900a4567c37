import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from clinical.chart_access.services import break_glass, chart_restrict
from fhirapi.bulk import services
from fhirapi.bulk.conditional import search_engine_available
from fhirapi.bulk.exporter import compartment_types
from fhirapi.bulk.models import ExportJob, JobStatus
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.bulk.conftest import client_for

ASYNC = {"Prefer": "respond-async"}


def kick_off(client, path: str, django_capture_on_commit_callbacks, **headers):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.fhir("GET", path, **{**ASYNC, **headers})
    assert response.status_code == 202, response.content
    return response["Content-Location"].removeprefix("http://testserver")


def manifest_of(client, status_url: str) -> dict:
    response = client.get(status_url)
    assert response.status_code == 200, response.content
    return response.json()


def lines_of(client, url: str) -> list[dict]:
    response = client.get(
        url.removeprefix("http://testserver"), HTTP_ACCEPT="application/fhir+ndjson"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def counts_in_store(types=None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in ResourceRecord.objects.filter(deleted=False):
        if types is None or record.resource_type in types:
            counts[record.resource_type] = counts.get(record.resource_type, 0) + 1
    return counts


def test_system_export_kick_off_poll_manifest_download(
    alice, loaded, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    status_url = kick_off(client, "/fhir/$export", django_capture_on_commit_callbacks)

    manifest = manifest_of(client, status_url)

    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"] == "http://testserver/fhir/$export"
    assert manifest["transactionTime"].endswith("Z")
    assert {o["type"]: o["count"] for o in manifest["output"]} == counts_in_store()
    patients = next(o for o in manifest["output"] if o["type"] == "Patient")
    lines = lines_of(client, patients["url"])
    assert len(lines) == 3 and {line["resourceType"] for line in lines} == {"Patient"}
    assert client.get(status_url).has_header("Expires")


def test_the_kick_off_needs_prefer_respond_async_and_supported_parameters(alice, loaded):
    client = client_for(alice)

    assert client.fhir("GET", "/fhir/$export").status_code == 400
    bad_format = client.fhir("GET", "/fhir/$export?_outputFormat=text/csv", **ASYNC)
    assert (
        bad_format.status_code == 400
        and "_outputFormat" in bad_format.json()["issue"][0]["diagnostics"]
    )
    assert client.fhir("GET", "/fhir/$export?_elements=id", **ASYNC).status_code == 400
    assert client.fhir("GET", "/fhir/$export?_type=Nonsense", **ASYNC).status_code == 400
    assert client.fhir("GET", "/fhir/Encounter/$export", **ASYNC).status_code == 404


def test_a_user_without_the_permission_cannot_export(charlie, loaded):
    response = client_for(charlie).fhir("GET", "/fhir/$export", **ASYNC)

    assert response.status_code == 403


def test_status_and_files_are_served_to_the_requester_only(
    alice, bob, loaded, django_capture_on_commit_callbacks
):
    status_url = kick_off(client_for(alice), "/fhir/$export", django_capture_on_commit_callbacks)
    file_url = manifest_of(client_for(alice), status_url)["output"][0]["url"]

    other = client_for(bob)
    assert other.get(status_url).status_code == 404
    assert other.get(file_url.removeprefix("http://testserver")).status_code == 404
    assert other.delete(status_url).status_code == 404
    assert client_for(alice).get(status_url).status_code == 200


def test_cancelling_deletes_the_export(alice, loaded, django_capture_on_commit_callbacks):
    client = client_for(alice)
    status_url = kick_off(client, "/fhir/$export", django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    directory = services.export_directory(job)
    assert any(directory.iterdir())

    assert client.delete(status_url).status_code == 202

    assert client.get(status_url).status_code == 404
    assert not directory.exists()


def test_a_running_export_answers_202_with_progress(alice, db):
    job = ExportJob.objects.create(
        owner=alice,
        request_url="x",
        base_url="http://testserver/fhir",
        level="system",
        status=JobStatus.RUNNING,
        resources_done=1234,
        current_type="Observation",
        transaction_time=timezone.now(),
    )

    response = client_for(alice).get(f"/fhir/bulk/export/{job.id}")

    assert response.status_code == 202
    assert response["X-Progress"] == "1,234 resources written, now Observation"
    assert response["Retry-After"] == "2"


def test_an_expired_export_is_gone(alice, loaded, django_capture_on_commit_callbacks):
    client = client_for(alice)
    status_url = kick_off(client, "/fhir/$export", django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    file_url = manifest_of(client, status_url)["output"][0]["url"].removeprefix("http://testserver")
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(status_url).status_code == 404
    assert client.get(file_url).status_code == 404
    assert services.exports_expire() == 1
    assert not services.export_directory(job).exists()


def test_type_and_since_filter_the_export(alice, loaded, django_capture_on_commit_callbacks):
    client = client_for(alice)
    by_type = kick_off(
        client, "/fhir/$export?_type=Patient,Condition", django_capture_on_commit_callbacks
    )
    assert {o["type"] for o in manifest_of(client, by_type)["output"]} == {"Patient", "Condition"}

    cutoff = timezone.now()
    patient = ResourceRecord.objects.filter(resource_type="Patient").first().content
    FhirRepository().update("Patient", patient["id"], {**patient, "gender": "other"})
    since = kick_off(
        client,
        f"/fhir/$export?_since={cutoff.isoformat().replace('+00:00', 'Z')}",
        django_capture_on_commit_callbacks,
    )
    output = manifest_of(client, since)["output"]
    assert [(o["type"], o["count"]) for o in output] == [("Patient", 1)]


def test_post_kick_off_takes_a_parameters_body(alice, loaded, django_capture_on_commit_callbacks):
    client = client_for(alice)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Immunization"},
            {"name": "_outputFormat", "valueString": "application/fhir+ndjson"},
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.fhir("POST", "/fhir/$export", body, **ASYNC)

    status_url = response["Content-Location"].removeprefix("http://testserver")
    assert [o["type"] for o in manifest_of(client, status_url)["output"]] == ["Immunization"]


def test_patient_export_holds_the_patient_compartments(
    alice, loaded, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    status_url = kick_off(client, "/fhir/Patient/$export", django_capture_on_commit_callbacks)

    types = {o["type"] for o in manifest_of(client, status_url)["output"]}

    assert {"Patient", "Encounter", "Condition", "Immunization"} <= types
    assert not types & {"Organization", "Practitioner", "Location"}
    assert (
        client.fhir("GET", "/fhir/Patient/$export?_type=Practitioner", **ASYNC).status_code == 400
    )


def test_group_export_holds_its_members_data_only(
    alice, loaded, django_capture_on_commit_callbacks
):
    member = ResourceRecord.objects.filter(resource_type="Patient").order_by("resource_id").first()
    group = (
        FhirRepository()
        .create(
            {
                "resourceType": "Group",
                "type": "person",
                "actual": True,
                "member": [{"entity": {"reference": f"Patient/{member.resource_id}"}}],
            }
        )
        .stored
    )
    client = client_for(alice)

    status_url = kick_off(
        client, f"/fhir/Group/{group.resource_id}/$export", django_capture_on_commit_callbacks
    )

    output = manifest_of(client, status_url)["output"]
    patients = lines_of(client, next(o["url"] for o in output if o["type"] == "Patient"))
    assert [p["id"] for p in patients] == [member.resource_id]
    encounters = lines_of(client, next(o["url"] for o in output if o["type"] == "Encounter"))
    assert encounters and {e["subject"]["reference"] for e in encounters} == {
        f"Patient/{member.resource_id}"
    }


@pytest.mark.skipif(search_engine_available(), reason="the search engine answers _typeFilter")
def test_type_filter_needs_the_search_engine(alice, loaded):
    response = client_for(alice).fhir(
        "GET", "/fhir/$export?_typeFilter=Condition%3Fclinical-status%3Dactive", **ASYNC
    )

    assert response.status_code == 400 and "not supported yet" in response.content.decode()


@pytest.mark.skipif(not search_engine_available(), reason="_typeFilter needs the search engine")
def test_type_filter_keeps_what_its_queries_match(
    alice, loaded, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    first = ResourceRecord.objects.filter(resource_type="Patient").order_by("resource_id").first()

    status_url = kick_off(
        client,
        f"/fhir/$export?_type=Patient&_typeFilter=Patient%3F_id%3D{first.resource_id}",
        django_capture_on_commit_callbacks,
    )

    output = manifest_of(client, status_url)["output"]
    assert [(o["type"], o["count"]) for o in output] == [("Patient", 1)]


def may_export(user):
    user.user_permissions.add(Permission.objects.get(codename="add_exportjob"))
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


def exported(client, status_url: str) -> dict[str, list[dict]]:
    output = manifest_of(client, status_url)["output"]
    return {o["type"]: lines_of(client, o["url"]) for o in output}


def test_an_export_holds_only_the_charts_open_to_the_requester(
    physician, nurse, administrator, loaded, django_capture_on_commit_callbacks
):
    patients = ResourceRecord.objects.filter(resource_type="Patient").order_by("resource_id")
    closed, *open_ids = patients.values_list("resource_id", flat=True)
    chart_restrict(patient_id=closed, acting_user=administrator, care_team=[nurse])
    outside = client_for(may_export(physician))

    files = exported(
        outside, kick_off(outside, "/fhir/$export", django_capture_on_commit_callbacks)
    )

    assert [p["id"] for p in files["Patient"]] == open_ids
    assert files["Encounter"] and files["Organization"]
    in_charts = [r for t in compartment_types() for r in files.get(t, [])]
    assert in_charts and not [r for r in in_charts if closed in json.dumps(r)]
    team = client_for(may_export(nurse))
    by_team = exported(team, kick_off(team, "/fhir/$export", django_capture_on_commit_callbacks))
    assert closed in {p["id"] for p in by_team["Patient"]}
    break_glass(user=physician, patient_id=closed, reason="Collapsed in clinic, team away")
    again = exported(
        outside, kick_off(outside, "/fhir/$export", django_capture_on_commit_callbacks)
    )
    assert closed in {p["id"] for p in again["Patient"]}


def test_an_export_of_a_requester_who_was_deactivated_fails(
    physician, loaded, django_capture_on_commit_callbacks
):
    client = client_for(may_export(physician))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.fhir("GET", "/fhir/$export", **ASYNC)
    assert response.status_code == 202
    type(physician).objects.filter(pk=physician.pk).update(is_active=False)

    for callback in queued:
        callback()

    job = ExportJob.objects.get()
    assert job.status == JobStatus.FAILED and "inactive" in job.error
