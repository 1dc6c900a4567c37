import io
import zipfile

import pytest
from django.urls import reverse

from imaging.models import Instance, Study
from imaging.services.ingest import Status
from imaging.storage import dicom_storage
from tests.imaging.conftest import CT, DICOMDIR, MR, ingest

pytestmark = pytest.mark.django_db


def test_upload_page_stores_good_files_and_reports_each_bad_one(physician, signed_in):
    broken = CT.read_bytes()[:600]  # the header cut off mid-element
    response = signed_in(physician).post(
        reverse("imaging:upload"),
        {
            "files": [
                _named("CT.dcm", CT.read_bytes()),
                _named("notes.txt", b"not an image at all " * 20),
                _named("broken.dcm", broken),
                _named("MR.dcm", MR.read_bytes()),
            ]
        },
    )
    assert response.status_code == 200
    outcomes = {o.name: o for o in response.context["report"].outcomes}
    assert [o.status for o in outcomes.values()].count(Status.STORED) == 2
    assert outcomes["notes.txt"].status == Status.FAILED
    assert "not a DICOM file" in outcomes["notes.txt"].message
    assert outcomes["broken.dcm"].status == Status.FAILED
    assert Instance.objects.count() == 2
    assert b"notes.txt" in response.content


def test_upload_needs_the_right_to_document(pharmacist, signed_in):
    response = signed_in(pharmacist).post(reverse("imaging:upload"), {"files": [CT.open("rb")]})
    assert response.status_code == 403
    assert not Instance.objects.exists()


def test_same_instance_twice_is_stored_once(physician):
    first = ingest(physician, CT)
    second = ingest(physician, CT)
    assert first.outcomes[0].status == Status.STORED
    assert second.outcomes[0].status == Status.DUPLICATE
    assert Instance.objects.count() == 1
    instance = Instance.objects.get()
    assert dicom_storage().open(instance.file_path).read() == CT.read_bytes()
    assert instance.file_path.endswith(f"{instance.sop_instance_uid}.dcm")


def test_zipped_dicomdir_folder_is_read_whole(physician, signed_in):
    archive = _zip(
        {
            f"disc/{path.relative_to(DICOMDIR)}": path.read_bytes()
            for path in DICOMDIR.rglob("*")
            if path.is_file()
        }
    )
    response = signed_in(physician).post(
        reverse("imaging:upload"), {"files": [_named("disc.zip", archive)]}
    )
    report = response.context["report"]
    files = [p for p in DICOMDIR.rglob("*") if p.is_file() and p.name != "DICOMDIR"]
    assert report.count(Status.STORED) == len(files)
    assert report.count(Status.SKIPPED) == 1  # the DICOMDIR index itself
    assert Study.objects.filter(patient_id__in=["77654033", "98890234"]).count() >= 3


def test_archive_members_that_climb_out_or_nest_are_refused(physician, signed_in):
    archive = _zip(
        {
            "../escape.dcm": CT.read_bytes(),
            "/etc/absolute.dcm": CT.read_bytes(),
            "inner.zip": _zip({"a.dcm": MR.read_bytes()}),
            "ok/MR.dcm": MR.read_bytes(),
            "__MACOSX/._MR.dcm": b"resource fork",
        }
    )
    response = signed_in(physician).post(
        reverse("imaging:upload"), {"files": [_named("mixed.zip", archive)]}
    )
    outcomes = {o.name.split(":", 1)[1]: o for o in response.context["report"].outcomes}
    assert set(outcomes) == {"../escape.dcm", "/etc/absolute.dcm", "inner.zip", "ok/MR.dcm"}
    assert "unsafe path" in outcomes["../escape.dcm"].message
    assert "unsafe path" in outcomes["/etc/absolute.dcm"].message
    assert "archive inside the archive" in outcomes["inner.zip"].message
    assert outcomes["ok/MR.dcm"].status == Status.STORED


def test_an_archive_expanding_past_the_limit_is_refused(physician, signed_in, settings):
    settings.IMAGING_MAX_UPLOAD_BYTES = 1024 * 1024
    bomb = _zip({"zeros.dcm": bytes(8 * 1024 * 1024)})
    assert len(bomb) < 100_000
    response = signed_in(physician).post(
        reverse("imaging:upload"), {"files": [_named("bomb.zip", bomb)]}
    )
    [outcome] = response.context["report"].outcomes
    assert outcome.status == Status.FAILED
    assert "IMAGING_MAX_UPLOAD_BYTES" in outcome.message


def _named(name: str, data: bytes) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
