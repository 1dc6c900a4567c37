import shutil

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clinical.roles import ADMIN, ensure_role_groups
from fhirapi.bulk.models import ImportJob, JobStatus
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.bulk.conftest import BUNDLE, NDJSON_DIR, NDJSON_RESOURCES, client_for

PATIENTS = (NDJSON_DIR / "Patient.000.ndjson").read_bytes()


def manifest(*urls: str) -> dict:
    inputs = [{"name": "input", "part": [{"name": "url", "valueUrl": url}]} for url in urls]
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "inputFormat", "valueCode": "application/fhir+ndjson"}, *inputs],
    }


def test_an_ndjson_body_is_imported_and_its_status_polled(
    alice, db, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.fhir(
            "POST", "/fhir/$import", PATIENTS, content_type="application/fhir+ndjson"
        )

    assert response.status_code == 202
    status = client.get(response["Content-Location"].removeprefix("http://testserver"))
    assert status.status_code == 200
    result = status.json()
    assert (result["status"], result["resources"], result["errors"]) == ("completed", 3, 0)
    assert ResourceRecord.objects.filter(resource_type="Patient").count() == 3


def test_a_manifest_names_files_under_the_import_directory(
    alice, db, django_capture_on_commit_callbacks
):
    shutil.copytree(NDJSON_DIR, settings.FHIR_IMPORT_DIR / "synthea")
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.fhir(
            "POST", "/fhir/$import", manifest(f"file://{settings.FHIR_IMPORT_DIR}/synthea")
        )

    assert response.status_code == 202, response.content
    assert ResourceRecord.objects.count() == NDJSON_RESOURCES
    assert ImportJob.objects.get().status == JobStatus.COMPLETED


def test_a_manifest_cannot_reach_outside_the_import_directory(alice, db):
    client = client_for(alice)

    outside = client.fhir("POST", "/fhir/$import", manifest(f"file://{BUNDLE}"))
    escaping = client.fhir(
        "POST", "/fhir/$import", manifest(f"file://{settings.FHIR_IMPORT_DIR}/../../etc/passwd")
    )
    remote = client.fhir("POST", "/fhir/$import", manifest("https://example.org/Patient.ndjson"))

    assert [outside.status_code, escaping.status_code, remote.status_code] == [400, 400, 400]
    assert ImportJob.objects.count() == 0


def test_importing_needs_the_permission(charlie, db):
    client = client_for(charlie)

    upload = client.fhir("POST", "/fhir/$import", PATIENTS, content_type="application/fhir+ndjson")
    by_manifest = client.fhir("POST", "/fhir/$import", manifest("file:///tmp/x.ndjson"))

    assert [upload.status_code, by_manifest.status_code] == [403, 403]


def test_an_import_started_in_the_admin_runs_and_shows_its_result(
    db, django_capture_on_commit_callbacks
):
    admin = get_user_model().objects.create_superuser("root", password="unused-in-tests")
    admin.groups.set([ensure_role_groups()[ADMIN.name]])  # the admin site needs the role
    client = Client()
    client.force_login(admin)
    upload = SimpleUploadedFile("Malcolm.json", BUNDLE.read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/fhirbulk/importjob/add/", {"upload": upload})

    job = ImportJob.objects.get()
    assert response.status_code in (200, 302), response.content[:500]
    assert (job.status, job.percent, job.owner) == (JobStatus.COMPLETED, 100, admin)
    assert job.results[0]["status"] == "ok" and job.resources_done > 90
    listing = client.get("/admin/fhirbulk/importjob/")
    assert listing.status_code == 200 and b"100%" in listing.content
