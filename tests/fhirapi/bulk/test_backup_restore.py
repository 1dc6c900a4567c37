from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fhirapi.store.models import ResourceRecord
from tests.fhirapi.bulk.conftest import BUNDLE, NDJSON_DIR, current_store, store_wipe


def test_export_wipe_import_gives_back_the_same_store(db, tmp_path: Path):
    call_command("import_fhir", str(BUNDLE), str(NDJSON_DIR), stdout=StringIO(), stderr=StringIO())
    before = current_store()
    backup = tmp_path / "backup"

    call_command("export_fhir", str(backup), stdout=StringIO())
    store_wipe()
    assert ResourceRecord.objects.count() == 0
    call_command("import_fhir", str(backup), stdout=StringIO(), stderr=StringIO())

    assert current_store() == before  # same ids, same content; versions restart at 1
    assert len(before) > 300


def test_restoring_over_the_same_store_changes_nothing(db, tmp_path: Path):
    call_command("import_fhir", str(BUNDLE), stdout=StringIO(), stderr=StringIO())
    call_command("export_fhir", str(tmp_path / "backup"), stdout=StringIO())
    versions = dict(ResourceRecord.objects.values_list("resource_id", "version_id"))

    call_command("import_fhir", str(tmp_path / "backup"), stdout=StringIO(), stderr=StringIO())

    assert dict(ResourceRecord.objects.values_list("resource_id", "version_id")) == versions


def test_export_refuses_a_directory_with_ndjson_in_it(db, tmp_path: Path):
    (tmp_path / "Patient.ndjson").write_text("")

    with pytest.raises(CommandError, match="already holds NDJSON"):
        call_command("export_fhir", str(tmp_path), stdout=StringIO())
