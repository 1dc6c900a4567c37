"""A part of the suite (the FHIR REST tests, and the routing rules) with reads routed to a replica
alias. The replica here is a second connection alias to the SAME test database (a test mirror):
it proves which alias serves which statement and that nothing writes through a replica, not that
replication lag is handled: test_standby.py does that on a real streaming standby."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE = [
    "tests/fhirapi/rest/test_crud.py",
    "tests/operations/test_replica_rules.py",
]
PYTEST_OPTIONS = [
    "-q",
    "-p",
    "no:cacheprovider",
    "--reuse-db",
    "-p",
    "tests.operations.replica_plugin",
]


def same_server_url(database: dict) -> str:
    """A URL of the primary's server; as a test mirror the alias then opens the test database."""
    user = quote(database["USER"] or "", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database.get("PASSWORD") else ""
    host = quote(database["HOST"] or "localhost", safe="")
    return f"postgres://{user}{password}@{host}:{database['PORT'] or 5432}/{database['NAME']}"


def test_rest_suite_with_reads_on_a_replica(tmp_path, settings):
    counts_file = tmp_path / "query-counts.json"
    env = {
        **os.environ,
        "DATABASE_REPLICA_URLS": same_server_url(settings.DATABASES["default"]),
        "WINTEHR_QUERY_COUNTS_FILE": str(counts_file),
        "WINTEHR_DATA_DIR": str(settings.WINTEHR_DATA_DIR),
        "TOX_PARALLEL_ENV": "replica",  # pytest-django's suffix: a test database of its own
        # No read-your-writes pin, so that the suite's reads after its writes reach the replica
        # too (test_replica_rules.py checks the pin with its default of 10 s).
        "DATABASE_REPLICA_PIN_SECONDS": "0",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *SUITE, *PYTEST_OPTIONS],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, summary
    counts = json.loads(counts_file.read_text())
    primary, replica = counts.get("default:store-reads", 0), counts.get("replica1:store-reads", 0)
    print(f"\n{summary}; {seconds:.1f} s; statements {counts}")
    assert replica >= 15, counts  # the reads of the REST tests' GETs (19 when written)
    assert primary > 0  # reads inside the writes' transactions
    assert counts.get("replica1:writes", 0) == 0, counts
