import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fhirapi.bulk.importer import Importer
from fhirapi.store.models import ResourceRecord, ResourceVersion
from tests.fhirapi.bulk.conftest import (
    BUNDLE,
    NDJSON_DIR,
    NDJSON_RESOURCES,
    ndjson_members,
    tar_of,
    zip_of,
)

BUNDLE_ENTRIES = len(json.loads(BUNDLE.read_text())["entry"])


def test_a_synthea_bundle_keeps_the_urn_uuids_as_ids(importer: Importer):
    [result] = importer.import_paths([BUNDLE])

    assert result.ok and result.counts.created == BUNDLE_ENTRIES
    patient = ResourceRecord.objects.get(resource_type="Patient")
    assert patient.resource_id == "e2d08f86-4813-4f3a-971f-87c09e0ec0c7"  # urn:uuid:e2d08f86-...
    encounter = ResourceRecord.objects.filter(resource_type="Encounter").first()
    assert encounter.content["subject"]["reference"] == f"Patient/{patient.resource_id}"


def test_importing_the_same_bundle_twice_leaves_one_copy_and_no_new_version(importer: Importer):
    importer.import_paths([BUNDLE])
    [again] = importer.import_paths([BUNDLE])

    assert again.ok and again.counts.unchanged == BUNDLE_ENTRIES and again.counts.created == 0
    assert ResourceRecord.objects.count() == BUNDLE_ENTRIES
    assert ResourceVersion.objects.count() == BUNDLE_ENTRIES


def test_a_changed_resource_is_updated_in_place(importer: Importer, tmp_path: Path):
    importer.import_paths([BUNDLE])
    bundle = json.loads(BUNDLE.read_text())
    bundle["entry"][0]["resource"]["gender"] = "other"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(bundle))

    [result] = importer.import_paths([changed])

    assert (result.counts.updated, result.counts.unchanged) == (1, BUNDLE_ENTRIES - 1)
    patient = ResourceRecord.objects.get(resource_type="Patient")
    assert (patient.version_id, patient.content["gender"]) == (2, "other")


def test_ndjson_conditional_references_are_resolved(importer: Importer):
    results = importer.import_paths([NDJSON_DIR])

    assert all(result.ok for result in results), [r.status for r in results]
    assert ResourceRecord.objects.count() == NDJSON_RESOURCES
    encounter = ResourceRecord.objects.filter(resource_type="Encounter").first().content
    practitioner = encounter["participant"][0]["individual"]["reference"]
    assert practitioner.startswith("Practitioner/") and "?" not in practitioner
    assert ResourceRecord.objects.filter(
        resource_type="Practitioner", resource_id=practitioner.split("/")[1]
    ).exists()


def test_ndjson_import_is_idempotent(importer: Importer):
    importer.import_paths([NDJSON_DIR])
    again = importer.import_paths([NDJSON_DIR])

    assert sum(result.counts.unchanged for result in again) == NDJSON_RESOURCES
    assert ResourceVersion.objects.count() == NDJSON_RESOURCES


def test_zip_and_tar_gz_archives_are_imported(importer: Importer, tmp_path: Path):
    members = ndjson_members()
    zip_path = zip_of(tmp_path / "export.zip", members)
    tar_path = tar_of(tmp_path / "export.tar.gz", members)

    from_zip = importer.import_paths([zip_path])
    from_tar = importer.import_paths([tar_path])

    assert all(result.ok for result in from_zip + from_tar)
    assert sum(r.counts.created for r in from_zip) == NDJSON_RESOURCES
    assert sum(r.counts.unchanged for r in from_tar) == NDJSON_RESOURCES
    assert from_zip[0].name == f"{zip_path}!export/Organization.000.ndjson"  # load order


def test_a_failing_file_is_reported_and_the_others_are_imported(importer: Importer, tmp_path: Path):
    (tmp_path / "broken.json").write_text('{"resourceType": "Bundle", "type": "transaction", ')
    (tmp_path / "notes.txt").write_text("not FHIR")

    results = importer.import_paths([tmp_path / "broken.json", BUNDLE, tmp_path / "notes.txt"])

    by_name = {Path(result.name).name: result for result in results}
    assert by_name["broken.json"].failure.startswith("not JSON")
    assert "not .json, .ndjson" in by_name["notes.txt"].failure
    assert by_name[BUNDLE.name].ok
    assert ResourceRecord.objects.count() == BUNDLE_ENTRIES


def test_nothing_of_a_failing_bundle_is_written(importer: Importer, tmp_path: Path):
    bundle = json.loads(BUNDLE.read_text())
    bundle["entry"][-1]["resource"]["status"] = 42  # invalid, and the last entry
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle))

    [result] = importer.import_paths([bad])

    assert result.failure and "status" in result.failure
    assert ResourceRecord.objects.count() == 0


def test_a_bad_ndjson_line_is_reported_and_the_rest_of_its_chunk_written(
    importer: Importer, tmp_path: Path
):
    lines = (NDJSON_DIR / "Patient.000.ndjson").read_text().splitlines()
    lines.insert(1, '{"resourceType": "Patient", "id": "bad", "gender": 7}')
    lines.insert(2, "{not json")
    path = tmp_path / "Patient.000.ndjson"
    path.write_text("\n".join(lines) + "\n")

    [result] = importer.import_paths([path])

    assert result.errors == 2 and result.counts.created == 3
    assert result.messages[0].startswith("line 3: not JSON")
    assert result.messages[1].startswith("line 2:") and "gender" in result.messages[1]


def test_the_command_prints_a_summary_and_fails_when_a_file_failed(db, tmp_path: Path):
    (tmp_path / "broken.json").write_text("{not json")
    out, err = StringIO(), StringIO()

    call_command("import_fhir", str(BUNDLE), stdout=out, stderr=err)
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_fhir", str(tmp_path / "broken.json"), stdout=out, stderr=err)

    summary = out.getvalue()
    assert "resources" in summary and "seconds" in summary and "status" in summary
    assert f"{BUNDLE_ENTRIES:,} resources in" in summary
    assert "ETA" in err.getvalue() and "/s" in err.getvalue()  # the progress line
