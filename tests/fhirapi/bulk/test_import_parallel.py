"""Importing with worker processes (fhirapi/bulk/parallel.py) writes what a serial import writes.
The workers have their own database connections, so these tests commit (transactional_db)."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import psutil
import pytest
from django.core.management import CommandError, call_command

from fhirapi.bulk.importer import FileResult, Importer
from fhirapi.bulk.models import ImportJob, JobStatus
from fhirapi.bulk.parallel import ParallelImporter, _worker_start
from fhirapi.bulk.services import import_job_run
from fhirapi.store.models import ResourceRecord, ResourceVersion
from tests.fhirapi.bulk.conftest import (
    BUNDLE,
    NDJSON_DIR,
    NDJSON_RESOURCES,
    current_store,
    store_wipe,
)
from tests.fhirapi.bulk.test_import_indexes import index_rows

BUNDLE_PATIENT = "e2d08f86-4813-4f3a-971f-87c09e0ec0c7"
CHUNK = 20  # NDJSON lines per task: many tasks, side by side on the two workers


@pytest.fixture
def worker_pids(monkeypatch, tmp_path: Path) -> Path:
    """A file where each NDJSON task writes the id of the process that ran it."""
    pids = tmp_path / "pids"
    import_lines = Importer.import_lines

    def recorded(self, raws, first, result):
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return import_lines(self, raws, first, result)

    monkeypatch.setattr(Importer, "import_lines", recorded)  # the forked workers inherit it
    return pids


def versions() -> list[tuple]:
    columns = ("resource_type", "resource_id", "version_id", "method", "deleted")
    return sorted(ResourceVersion.objects.values_list(*columns))


def summary(results: list[FileResult]) -> list[dict]:
    return [{k: v for k, v in r.as_json().items() if k != "seconds"} for r in results]


def test_a_parallel_import_of_the_synthea_fixtures_writes_what_a_serial_one_writes(
    transactional_db, worker_pids: Path
):
    paths = [NDJSON_DIR, BUNDLE]
    serial = Importer(chunk_size=CHUNK).import_paths(paths)
    serial_state = (current_store(), versions(), index_rows())
    store_wipe()

    parallel = ParallelImporter(workers=2, chunk_size=CHUNK).import_paths(paths)

    pids = set(worker_pids.read_text().split())
    assert pids and str(os.getpid()) not in pids  # written by the worker processes
    assert all(result.ok for result in parallel)
    assert summary(parallel) == summary(serial)
    assert (current_store(), versions(), index_rows()) == serial_state
    assert serial_state[2]["fhir_search_reference"]  # conditional references resolved, indexed


def test_a_parallel_re_import_changes_nothing(transactional_db):
    ParallelImporter(workers=2, chunk_size=CHUNK).import_paths([NDJSON_DIR, BUNDLE])
    before = (current_store(), versions())

    again = ParallelImporter(workers=2, chunk_size=CHUNK).import_paths([NDJSON_DIR, BUNDLE])

    assert all(r.ok and r.counts.unchanged == r.resources for r in again)
    assert (current_store(), versions()) == before


def test_one_resource_in_two_files_imported_side_by_side_is_stored_once(
    transactional_db, tmp_path: Path
):
    line = (NDJSON_DIR / "Condition.000.ndjson").read_text().splitlines()[0]
    paths = [tmp_path / f"Condition.00{n}.ndjson" for n in range(4)]
    for path in paths:
        path.write_text(line + "\n")

    results = ParallelImporter(workers=2).import_paths(paths)

    assert all(result.ok for result in results)
    assert sum(r.counts.created for r in results) == 1
    assert sum(r.counts.unchanged for r in results) == 3
    assert ResourceRecord.objects.count() == ResourceVersion.objects.count() == 1


def test_conditional_creates_side_by_side_create_one_resource(transactional_db, tmp_path: Path):
    organization = {
        "resourceType": "Organization",
        "identifier": [{"system": "urn:test:org", "value": "one"}],
        "name": "One",
    }
    paths = []
    for n in range(6):
        entry = {
            "fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{n}",
            "resource": organization,
            "request": {
                "method": "POST",
                "url": "Organization",
                "ifNoneExist": "identifier=urn:test:org|one",
            },
        }
        paths.append(tmp_path / f"bundle{n}.json")
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
        paths[-1].write_text(json.dumps(bundle))

    results = ParallelImporter(workers=2).import_paths(paths)

    assert all(result.ok for result in results)
    assert ResourceRecord.objects.filter(resource_type="Organization").count() == 1


def test_a_failing_bundle_writes_nothing_and_the_other_files_are_imported(
    transactional_db, tmp_path: Path
):
    bundle = json.loads(BUNDLE.read_text())
    bundle["entry"][-1]["resource"]["status"] = 42  # invalid, and the last entry
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle))

    results = ParallelImporter(workers=2, chunk_size=CHUNK).import_paths([bad, NDJSON_DIR])

    [failed] = [result for result in results if result.name == str(bad)]
    assert failed.failure and "status" in failed.failure
    assert not ResourceRecord.objects.filter(resource_id=BUNDLE_PATIENT).exists()
    assert all(result.ok for result in results if result is not failed)
    assert ResourceRecord.objects.count() == sum(result.resources for result in results)


def test_the_command_imports_with_workers_and_sums_up_their_parts(transactional_db):
    out, err = StringIO(), StringIO()

    call_command(
        "import_fhir",
        str(NDJSON_DIR),
        "--workers=2",
        f"--chunk-size={CHUNK}",
        stdout=out,
        stderr=err,
    )

    assert f"{NDJSON_RESOURCES:,} resources in" in out.getvalue()
    assert ResourceRecord.objects.count() == NDJSON_RESOURCES
    assert "ETA" in err.getvalue()  # the progress line
    with pytest.raises(CommandError, match="--workers"):
        call_command("import_fhir", str(NDJSON_DIR), "--workers=0", stdout=out, stderr=err)


def test_an_import_job_with_a_broker_imports_in_worker_processes(
    transactional_db, settings, alice, worker_pids: Path
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in a Celery worker: the job may fork
    job = ImportJob.objects.create(owner=alice, paths=[str(NDJSON_DIR)])

    import_job_run(job_id=str(job.id))

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.resources_done == NDJSON_RESOURCES
    assert ResourceRecord.objects.count() == NDJSON_RESOURCES
    pids = set(worker_pids.read_text().split())
    assert pids and str(os.getpid()) not in pids


@pytest.mark.redis
def test_a_parallel_import_after_the_status_page_pinged_the_workers_completes(
    transactional_db, settings
):
    """The ping polls a reply queue on the broker; a pooled connection left polling made every
    worker process forked afterwards hang in kombu's after-fork clean-up."""
    if not settings.REDIS_URL:
        pytest.skip("the broker is Redis only with REDIS_URL")
    from clinical.operations.status import celery_workers_check

    celery_workers_check()
    results = ParallelImporter(workers=2, chunk_size=CHUNK).import_paths([NDJSON_DIR])

    assert all(result.ok for result in results)
    assert ResourceRecord.objects.count() == NDJSON_RESOURCES


BUSY_IMPORT = """
import os, sys, time
from pathlib import Path

import django

django.setup()
from fhirapi.bulk.importer import Importer
from fhirapi.bulk.parallel import ParallelImporter


def busy(self, body, result):
    with open(sys.argv[1], "a") as out:
        out.write(f"{os.getpid()}\\n")
    time.sleep(60)


Importer.import_json = busy  # the forked workers inherit it
ParallelImporter(workers=2).import_paths([Path(name) for name in sys.argv[2:]])
"""


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE  # reaped or not, it is done
    except psutil.NoSuchProcess:
        return False


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_workers_of_an_import_killed_outright_end_with_it(tmp_path: Path):
    paths = [tmp_path / f"bundle{n}.json" for n in range(4)]
    for path in paths:
        path.write_text('{"resourceType": "Patient"}')
    pids = tmp_path / "pids"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wintehr.settings"}
    command = [sys.executable, "-c", BUSY_IMPORT, str(pids), *map(str, paths)]
    parent = subprocess.Popen(command, env=env)
    workers: list[int] = []
    try:
        assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 2, 60)
        workers = [int(pid) for pid in pids.read_text().split()]
        assert all(psutil.Process(pid).ppid() == parent.pid for pid in workers)

        parent.kill()  # SIGKILL: no clean-up of its own
        parent.wait()

        assert wait_until(lambda: not any(map(running, workers)), 5)
    finally:
        parent.kill()
        for pid in filter(running, workers):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("parent_alive", [True, False])
def test_a_worker_whose_parent_ended_before_it_started_ends(parent_alive: bool):
    parent = os.getpid() if parent_alive else os.getppid()  # os.getppid(): not the one forking
    worker = multiprocessing.get_context("fork").Process(target=_worker_start, args=(10, parent))
    worker.start()
    worker.join(30)

    assert worker.exitcode == (0 if parent_alive else -signal.SIGKILL)
