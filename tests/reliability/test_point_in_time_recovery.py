"""Point-in-time recovery drill (docs/backup.md, "Point in time"): a primary archiving its WAL,
a base backup, FHIR-like rows written before a chosen moment (A) and after it (B), then the base
backup restored twice with the archived WAL: up to the moment (A is there, exactly as it was, and
nothing of B), and to the end of the archive (A and B, nothing lost). Plain SQL on a JSONB table,
on throwaway clusters (tests/_postgres_cluster.py), so the drill runs the same PostgreSQL
machinery as production without touching the shared server."""

import time

import pytest

from tests._postgres_cluster import (
    MISSING,
    Cluster,
    base_backup,
    primary,
    server_directory,
    workspace,
)

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"pgserver's PostgreSQL lacks the programs {MISSING}"
)
RESOURCES = "SELECT id, content->>'gender' FROM resource ORDER BY id"


def archive_everything(cluster: Cluster) -> None:
    """Close the current WAL segment and wait until the archiver has copied it."""
    segment = cluster.query("SELECT pg_walfile_name(pg_switch_wal())")
    cluster.wait_for("SELECT last_archived_wal >= %s FROM pg_stat_archiver", segment)


def recover(backup: Cluster, archive: str, **target: str) -> float:
    """Start `backup` as a recovery from the archive (to `target`, else to its end); seconds."""
    backup.configure(
        restore_command=f"cp {archive}/%f %p", recovery_target_action="promote", **target
    )
    (backup.data / "recovery.signal").touch()
    started = time.monotonic()
    backup.start()
    backup.wait_for("SELECT NOT pg_is_in_recovery()")
    return time.monotonic() - started


def rows(cluster: Cluster) -> list[tuple[str, str]]:
    with cluster.connect() as connection:
        return connection.execute(RESOURCES).fetchall()


def test_recovery_to_a_moment_and_to_the_end_of_the_archive():
    with workspace() as root:
        archive = server_directory(root / "wal-archive")
        main = primary(root, archive_mode="on", archive_command=f"cp %p {archive}/%f")
        main.execute("CREATE TABLE resource (id text PRIMARY KEY, content jsonb NOT NULL)")
        to_the_moment = base_backup(main, root / "base-1")
        to_the_end = base_backup(main, root / "base-2")

        main.execute(  # A
            "INSERT INTO resource SELECT 'a' || n, jsonb_build_object("
            "'resourceType', 'Patient', 'gender', 'female') FROM generate_series(1, 50) n"
        )
        moment = main.query("SELECT clock_timestamp()::text")
        main.execute(  # B: a new patient, and a change to one of A
            'INSERT INTO resource VALUES (\'b1\', \'{"resourceType": "Patient", '
            '"gender": "male"}\')'
        )
        main.execute(
            "UPDATE resource SET content = content || '{\"gender\": \"other\"}' WHERE id = 'a1'"
        )
        archive_everything(main)
        written = rows(main)
        main.stop()  # the server is lost: only the base backups and the archive are left

        seconds = recover(to_the_moment, archive, recovery_target_time=moment)
        print(f"\nrecovery to the moment: {seconds:.2f} s")
        assert rows(to_the_moment) == sorted((f"a{n}", "female") for n in range(1, 51))
        assert "recovery stopping before commit" in to_the_moment.log.read_text()

        seconds = recover(to_the_end, archive)
        print(f"recovery to the end of the archive: {seconds:.2f} s")
        assert rows(to_the_end) == written
        assert ("a1", "other") in written and ("b1", "male") in written
