"""Restore drill (docs/backup.md): Synthea patients, with updates and a deletion in their
history, go into a dump taken by `manage.py backup` while the database is in use; `manage.py
restore --into` loads it into a new database on the same server. Nothing is lost: every table
holds the same rows (resources, current versions, history, search index rows, audit records,
users), every sequence stands at the same value, and every index and trigger is back.

The other backup, the FHIR export (`export_fhir`, wipe, `import_fhir`), has its drill in
tests/fhirapi/bulk/test_backup_restore.py."""

from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from clinical.operations.backup import database_drop, psycopg_args
from fhirapi.search.models import ReferenceIndex, StringIndex, TokenIndex
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord, ResourceVersion
from tests.fhirapi.conftest import FIXTURES, SHARED_DATA

RESTORED = "wintehr_restore_drill"
SYNTHEA = SHARED_DATA / "synthea" / "r4-bundles"
BUNDLES = [
    SYNTHEA / "hospitalInformation1559319163815.json",
    SYNTHEA / "practitionerInformation1559319163815.json",
    SYNTHEA / "Benito_Shields_d413c7e7-77db-4e49-b88c-a1565c7d52a9.json",
    FIXTURES / "synthea" / "Malcolm_Dach_281f4a03-57e9-4b22-a322-68890ff22172.json",
]
STORE_TABLES = [ResourceRecord, ResourceVersion, StringIndex, TokenIndex, ReferenceIndex]


@pytest.fixture
def restored(transactional_db):
    database_drop(name=RESTORED)  # left by an interrupted run
    yield RESTORED
    database_drop(name=RESTORED)


def store_with_history() -> None:
    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    call_command("import_fhir", *map(str, BUNDLES), **quiet)
    repository = FhirRepository()
    chart = ResourceRecord.objects.filter(resource_type="Patient").first()
    changed = {**chart.content, "gender": "other"}
    repository.update("Patient", chart.resource_id, changed)
    observation = ResourceRecord.objects.filter(resource_type="Observation").first()
    repository.delete("Observation", observation.resource_id)


def fingerprint(database_name: str) -> dict[str, object]:
    """Every table's row count and a hash of its rows; every sequence's value; every index and
    trigger definition."""
    settings = {**connection.settings_dict, "NAME": database_name}
    with psycopg.connect(**psycopg_args(settings)) as db, db.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(name for (name,) in cursor.fetchall())
        found: dict[str, object] = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                f' FROM "{table}" t'
            )
            found[table] = cursor.fetchone()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        found["sequences"] = sorted(cursor.fetchall())
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'")
        found["indexes"] = sorted(cursor.fetchall())
        cursor.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal")
        found["triggers"] = sorted(cursor.fetchall())
        return found


def test_a_restored_dump_holds_every_row_of_every_table(restored, tmp_path: Path):
    store_with_history()
    dump = tmp_path / "wintehr.dump"
    call_command("backup", str(dump), stdout=StringIO())
    call_command("restore", str(dump), "--into", restored, stdout=StringIO())

    original, copy = fingerprint(connection.settings_dict["NAME"]), fingerprint(restored)
    assert copy == original
    for model in STORE_TABLES:
        assert original[model._meta.db_table][0] > 0, model.__name__
    records, versions = (original[m._meta.db_table][0] for m in (ResourceRecord, ResourceVersion))
    assert records > 300 and versions > records  # the history came along
    assert original["triggers"], "the audit table's append-only trigger is restored"


def test_restore_refuses_a_database_in_use_and_leaves_it_alone(restored, tmp_path: Path):
    store_with_history()
    dump = tmp_path / "wintehr.dump"
    call_command("backup", str(dump), stdout=StringIO())
    before = fingerprint(connection.settings_dict["NAME"])

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(dump), stdout=StringIO())
    with pytest.raises(CommandError, match="cannot create"):
        call_command("restore", str(dump), "--into", connection.settings_dict["NAME"])
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(dump), stdout=StringIO())

    assert fingerprint(connection.settings_dict["NAME"]) == before
