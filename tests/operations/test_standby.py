"""Reads routed to a real streaming standby (docs/scaling.md): a throwaway primary cluster, a hot
standby made from it by `pg_basebackup -R` and streaming from it (tests/_postgres_cluster.py), the
replication lag between them measured, and test_standby_routing.py run in a subprocess with
DATABASE_URL on the primary and DATABASE_REPLICA_URLS on the standby. test_replicas.py runs more of
the suite on a same-database mirror; this one shows what only a real standby can: the standby
serves the reads, lags, and a writer still reads its own write."""

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._postgres_cluster import MISSING, Cluster, base_backup, primary, workspace

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKS = "tests/operations/test_standby_routing.py"
STREAMING = "SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')"

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"pgserver's PostgreSQL lacks the programs {MISSING}"
)


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    with workspace() as root:
        main = primary(root)
        main.execute("CREATE DATABASE wintehr")
        standby = base_backup(main, root / "standby", "-R")
        standby.start()
        standby.wait_for(STREAMING)
        yield main, standby


def test_the_standby_replays_each_commit_within_a_second(clusters):
    main, standby = clusters
    main.execute("CREATE TABLE lag_probe (n int)")
    lags = []
    for n in range(20):
        lsn = main.query("INSERT INTO lag_probe VALUES (%s) RETURNING pg_current_wal_lsn()", n)
        started = time.monotonic()
        standby.wait_for("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn, seconds=5)
        lags.append(time.monotonic() - started)
    assert standby.query("SELECT count(*) FROM lag_probe") == 20
    print(
        f"\nreplication lag over 20 commits: median {statistics.median(lags) * 1000:.1f} ms, "
        f"max {max(lags) * 1000:.1f} ms"
    )
    assert max(lags) < 1.0


def test_django_reads_on_the_standby_and_writes_on_the_primary(clusters):
    main, standby = clusters
    env = {
        **os.environ,
        "DATABASE_URL": main.url("wintehr"),
        "DATABASE_REPLICA_URLS": standby.url("wintehr"),
        "WINTEHR_STANDBY_CHECKS": "1",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", CHECKS, "-q", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    print(f"\n{summary}; {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "3 passed" in summary and "skipped" not in summary, summary
