"""Faults of the things WintEHR depends on: the database connection dropped in the middle of a
transaction, Redis stopped, a worker killed in the middle of an export, a full disk. Each time the
operation fails clearly (an OperationOutcome, a failed job, a failed file) or is retried, nothing
is half-written, and the application works again once the dependency is back."""

import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fhirapi.bulk import services as bulk
from fhirapi.bulk.models import ExportJob, ImportJob, JobStatus
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from imaging.models import Instance
from tests.fhirapi.conftest import patient
from tests.reliability.conftest import REPO_ROOT, database_url, free_port, live_server

DICOM = REPO_ROOT / "tests" / "fixtures" / "dicom"
FHIR_JSON = "application/fhir+json"


def operation_outcome(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith(FHIR_JSON), response.text[:300]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body


# -- the database connection dropped mid-transaction ---------------------------------------------


def busy_backends(min_seconds: float) -> list[int]:
    """Server connections inside a transaction that has run at least `min_seconds`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND state <> 'idle' AND xact_start < now() - make_interval(secs => %s)",
            [min_seconds],
        )
        return [pid for (pid,) in cursor.fetchall()]


def slow_transaction(entries: int) -> dict:
    """Updates-as-creates one by one (no bulk path): long enough to be caught in flight."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": patient(f"Killed{n}", id=f"kill-{n}"),
                "request": {"method": "PUT", "url": f"Patient/kill-{n}"},
            }
            for n in range(entries)
        ],
    }


def test_connection_killed_mid_transaction_writes_nothing_and_the_next_request_works(http):
    bundle = slow_transaction(600)
    answers: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: answers.append(http.post("/", json=bundle)))
    sender.start()
    killed = []
    deadline = time.monotonic() + 20
    while not killed and sender.is_alive() and time.monotonic() < deadline:
        for pid in busy_backends(0.3):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        time.sleep(0.02)
    sender.join(timeout=30)

    assert killed, "the transaction finished before it could be interrupted"
    [answer] = answers
    assert answer.status_code == 503, answer.text[:500]
    assert answer.headers["Retry-After"]
    outcome = operation_outcome(answer)
    assert outcome["issue"][0]["code"] == "transient"
    assert "connection was lost" in outcome["issue"][0]["diagnostics"]
    assert not ResourceRecord.objects.filter(resource_id__startswith="kill-").exists()

    # Every web thread answers again (Django reconnects), and the same bundle now goes through.
    for _ in range(12):
        assert http.get("/Patient", params={"_count": 1}).status_code == 200
    again = http.post("/", json=slow_transaction(50))
    assert again.status_code == 200, again.text[:500]
    assert ResourceRecord.objects.filter(resource_id__startswith="kill-").count() == 50


# -- Redis stopped while screens are open -------------------------------------------------------


class RedisProcess:
    """A private redis-server on a free port, that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.answers():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_process():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = RedisProcess()
    redis.start()
    yield redis
    redis.stop()


def test_with_redis_stopped_readiness_names_it_and_the_api_and_screens_keep_working(
    redis_process, token, physician
):
    browser = Client()
    browser.force_login(physician)
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    api = {"Authorization": f"Bearer {token}", "Content-Type": FHIR_JSON}
    rate_limited = {"API_RATE_LIMIT_PER_MINUTE": "100000"}  # the limit counts in Redis
    with live_server(workers=1, REDIS_URL=redis_process.url, **rate_limited) as server:
        assert httpx.get(f"{server.url}/readyz").json()["checks"]["redis"] == {"status": "ok"}
        chart = httpx.post(f"{server.fhir}/Patient", json=patient("Before"), headers=api)
        assert chart.status_code == 201
        assert httpx.get(f"{server.url}/patients/", cookies=cookies).status_code == 200

        redis_process.stop()
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"]["status"] == "failing"
        assert ready.json()["checks"]["database"] == {"status": "ok"}
        created = httpx.post(f"{server.fhir}/Patient", json=patient("Meanwhile"), headers=api)
        assert created.status_code == 201, created.text[:500]
        read = httpx.get(f"{server.fhir}/Patient/{created.json()['id']}", headers=api)
        assert read.status_code == 200
        found = httpx.get(f"{server.fhir}/Patient", params={"family": "Meanwhile"}, headers=api)
        assert found.json()["total"] == 1
        finder = httpx.get(f"{server.url}/patients/", cookies=cookies)
        assert finder.status_code == 200, finder.text[:500]

        redis_process.start()
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        after = httpx.post(f"{server.fhir}/Patient", json=patient("After"), headers=api)
        assert after.status_code == 201


def test_with_redis_unreachable_from_the_start_readiness_fails_and_the_api_works(token):
    api = {"Authorization": f"Bearer {token}", "Content-Type": FHIR_JSON}
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with live_server(workers=1, threads=2, REDIS_URL=nowhere) as server:
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"]["status"] == "failing"
        created = httpx.post(f"{server.fhir}/Patient", json=patient("NoRedis"), headers=api)
        assert created.status_code == 201, created.text[:500]


# -- a worker killed in the middle of an export ---------------------------------------------------

SLOW_EXPORT = """
import os, sys, time
import django
django.setup()
from fhirapi.bulk import exporter, services
pages = exporter._pages
def slow_pages(*args, **kwargs):
    for page in pages(*args, **kwargs):
        yield page
        time.sleep(60)  # a long export: the worker is killed in here
exporter._pages = slow_pages
services.PROGRESS_EVERY = 0
services.export_job_run(job_id=sys.argv[1])
"""


def test_an_export_whose_worker_is_killed_is_marked_failed_and_can_be_run_again(
    transactional_db, django_user_model, settings, tmp_path
):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    repository = FhirRepository()
    for n in range(5):
        repository.create(patient(f"Exported{n}"))
    # An export runs with its requester's rights: this one may read every chart.
    owner = django_user_model.objects.create_user("exporter", is_superuser=True)
    job = new_export(owner)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wintehr.settings",
        "DATABASE_URL": database_url(),
        "WINTEHR_DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "ERROR",
    }
    environment.pop("REDIS_URL", None)
    worker = subprocess.Popen([sys.executable, "-c", SLOW_EXPORT, str(job.pk)], env=environment)
    try:
        deadline = time.monotonic() + 30
        while not ExportJob.objects.filter(pk=job.pk, resources_done__gt=0).exists():
            assert worker.poll() is None, "the worker ended before it was killed"
            assert time.monotonic() < deadline, "the export did not start"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)  # as the OOM killer would
        worker.wait()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # nobody is left to say otherwise ...

    later = timezone.now() + bulk.EXPORT_LEASE + timedelta(seconds=1)
    bulk.exports_expire(now=later)  # ... until the hourly clean-up sees its lease ran out
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "worker was lost" in job.error
    assert not bulk.export_directory(job).exists()  # no partial files left to download

    again = new_export(owner)
    bulk.export_job_run(job_id=str(again.pk))  # what the task does
    again.refresh_from_db()
    assert again.status == JobStatus.COMPLETED
    assert {item["type"]: item["count"] for item in again.output} == {"Patient": 5}


def new_export(owner, **fields) -> ExportJob:
    return ExportJob.objects.create(
        owner=owner,
        request_url="http://testserver/fhir/$export",
        base_url="http://testserver/fhir",
        level="system",
        transaction_time=timezone.now(),
        **fields,
    )


def test_the_status_of_an_export_whose_lease_ran_out_says_it_failed(
    db, django_user_model, settings, tmp_path
):
    owner = django_user_model.objects.create_user("exporter")
    lease_ran_out = timezone.now() - timedelta(seconds=1)
    job = new_export(owner, status=JobStatus.RUNNING, expires_at=lease_ran_out)
    client = Client()
    client.force_login(owner)

    answer = client.get(f"/fhir/bulk/export/{job.pk}")

    assert answer.status_code == 500
    assert "worker was lost" in answer.json()["issue"][0]["diagnostics"]


# -- the disk full -------------------------------------------------------------------------------


class FullDisk:
    """A storage backend (any Django storage) whose disk is full: every save fails with ENOSPC
    after writing part of the file, as a real full disk does."""

    def __init__(self, location: Path) -> None:
        from django.core.files.storage import FileSystemStorage

        self.inner = FileSystemStorage(location=location)

    def save(self, name, content, max_length=None):
        path = Path(self.inner.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read()[:100])  # the part that fitted
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_an_upload_on_a_full_disk_fails_clearly_stores_nothing_and_works_once_freed(
    db, physician, signed_in, monkeypatch, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "dicom": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "dicom"},
        },
    }
    full = FullDisk(tmp_path / "dicom")
    monkeypatch.setattr("imaging.services.ingest.dicom_storage", lambda: full)
    upload = reverse("imaging:upload")
    ct = DICOM / "CT_small.dcm"

    response = signed_in(physician).post(upload, {"files": [named("CT.dcm", ct.read_bytes())]})

    assert response.status_code == 200
    [outcome] = response.context["report"].outcomes
    assert outcome.status == "failed"
    assert "No space left on device" in outcome.message
    assert b"No space left on device" in response.content
    assert not Instance.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "dicom").rglob("*"))  # no half file left

    monkeypatch.undo()  # space is freed
    response = signed_in(physician).post(upload, {"files": [named("CT.dcm", ct.read_bytes())]})
    assert response.context["report"].outcomes[0].status == "stored"
    assert Instance.objects.count() == 1


def test_an_import_upload_on_a_full_disk_is_refused_with_a_retryable_outcome(
    db, django_user_model, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("importer"))
    ndjson = b'{"resourceType": "Patient", "id": "full-disk"}\n'

    answer = client.post("/fhir/$import", ndjson, content_type="application/fhir+ndjson")

    assert answer.status_code == 503
    assert answer["Content-Type"].startswith(FHIR_JSON)
    assert "storage is full" in answer.json()["issue"][0]["diagnostics"]
    assert not ImportJob.objects.exists()


def named(name: str, data: bytes) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream
