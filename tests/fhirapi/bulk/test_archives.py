import io
import tarfile
from pathlib import Path

from fhirapi.bulk.importer import Importer
from fhirapi.bulk.sources import ArchiveLimits
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.bulk.conftest import NDJSON_DIR, zip_of

PATIENTS = (NDJSON_DIR / "Patient.000.ndjson").read_bytes()


def test_a_zip_bomb_is_refused_by_its_uncompressed_size(db, tmp_path: Path):
    bomb = zip_of(tmp_path / "bomb.zip", {"Patient.000.ndjson": b"\n" * 5_000_000})
    assert bomb.stat().st_size < 50_000

    importer = Importer(limits=ArchiveLimits(max_bytes=1_000_000, max_entries=100))
    [result] = importer.import_paths([bomb])

    assert result.failure == "5,000,000 bytes uncompressed, more than the 1,000,000 allowed"


def test_too_many_entries_refuse_the_archive(db, tmp_path: Path):
    many = zip_of(tmp_path / "many.zip", {f"{n}.ndjson": b"" for n in range(20)})

    importer = Importer(limits=ArchiveLimits(max_bytes=10**9, max_entries=10))
    [result] = importer.import_paths([many])

    assert result.failure == "more than 10 entries"
    assert ResourceRecord.objects.count() == 0


def test_members_with_unsafe_paths_are_refused_and_the_rest_imported(db, tmp_path: Path):
    path = zip_of(
        tmp_path / "traversal.zip",
        {"../../etc/evil.ndjson": PATIENTS, "/abs.ndjson": PATIENTS, "ok/Patient.ndjson": PATIENTS},
    )

    results = Importer().import_paths([path])

    refused = sorted(r.name.split("!")[1] for r in results if r.failure)
    assert refused == ["../../etc/evil.ndjson", "/abs.ndjson"]
    assert all("unsafe path" in r.failure for r in results if r.failure)
    assert ResourceRecord.objects.filter(resource_type="Patient").count() == 3
    assert not (tmp_path.parent.parent / "etc" / "evil.ndjson").exists()


def test_tar_links_are_refused(db, tmp_path: Path):
    path = tmp_path / "links.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        link = tarfile.TarInfo("Patient.000.ndjson")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        data = tarfile.TarInfo("real/Patient.000.ndjson")
        data.size = len(PATIENTS)
        archive.addfile(data, io.BytesIO(PATIENTS))

    results = Importer().import_paths([path])

    assert [r.failure for r in results if r.failure] == ["not a regular file (link or device)"]
    assert ResourceRecord.objects.filter(resource_type="Patient").count() == 3


def test_a_tar_bomb_is_stopped_while_copying(db, tmp_path: Path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = b" " * 3_000_000
        info = tarfile.TarInfo("Patient.000.ndjson")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))

    importer = Importer(limits=ArchiveLimits(max_bytes=1_000_000, max_entries=10))
    [result] = importer.import_paths([path])

    assert "more than 1,000,000 bytes uncompressed" in result.failure
