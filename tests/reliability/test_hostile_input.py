"""Hostile input: oversized and deeply nested bodies, huge page sizes, regex bombs, SQL and script
injection in every kind of search parameter and in string fields, path traversal in file names,
XML external entities and zip bombs. Each is refused clearly, or stored verbatim and never run,
in bounded time and memory."""

import io
import json
import select
import socket
import time
import tracemalloc
import zipfile
from urllib.parse import quote

import pytest
from django.urls import reverse

from fhirapi.bulk import services as bulk
from fhirapi.bulk.models import ImportJob
from fhirapi.search.query import SUPPORTED_MODIFIERS
from fhirapi.search.registry import ParamType, parameters_for
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from imaging.services.ingest import Status, dicom_ingest
from imaging.uploads import IncomingFile, NamedStream, RejectedFile, upload_files
from tests.fhirapi.conftest import FhirClient, observation, patient
from tests.imaging.conftest import CT
from tests.reliability.conftest import LIVE_MAX_BODY_BYTES

FHIR_JSON = "application/fhir+json"
QUICK = 3.0  # seconds: what any one hostile request may cost

SQL = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    "'; DROP TABLE fhirapi_resourcerecord; --",
    "1); DELETE FROM fhirapi_resourceversion; --",
    "x' UNION SELECT content FROM fhirapi_resourcerecord --",
    "$$; SELECT pg_sleep(10); $$",
    "\\'; SELECT pg_sleep(10); --",
    "%' OR '%'='",
    "') OR ('a'='a",
]
IMAGING_MAX_ENTRIES = 500
SCRIPT = '<script>alert("owned")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def api(db, django_user_model) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(django_user_model.objects.create_superuser("hostile"))
    assert client.get("/fhir/metadata").status_code == 200  # warm: imports are not what we time
    return client


def assert_outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body


def timed(call, *args, **kwargs):
    started = time.monotonic()
    result = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < QUICK, f"{elapsed:.1f} s"
    return result


# -- bodies --------------------------------------------------------------------------------------


def test_an_oversized_body_gets_413(api, settings):
    settings.FHIR_MAX_BODY_BYTES = 64 * 1024
    big = patient("Big", text={"status": "generated", "div": "<div>" + "x" * 70_000 + "</div>"})
    assert_outcome(timed(api.fhir, "post", "/fhir/Patient", big), 413)
    assert_outcome(api.fhir("post", "/fhir/", {"resourceType": "Bundle", "pad": "x" * 70_000}), 413)
    assert not ResourceRecord.objects.exists()


def http_exchange(url: str, head: bytes, chunks=()) -> tuple[bytes, int]:
    """Send a raw request (headers, then chunks until the server answers); returns the whole
    answer and how many body bytes were sent before it came."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return read_to_close(sock), sent


def read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes. A reset instead of a clean close is
    tolerated only once the status line has arrived."""
    answer = b""
    while True:
        try:
            part = sock.recv(65536)
        except ConnectionResetError:
            assert b"\r\n" in answer, f"reset before the status line: {answer!r}"
            return answer
        if not part:
            return answer
        answer += part


def assert_raw_outcome(answer: bytes, status: int) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert b"\r\ncontent-type: application/fhir+json" in head.lower()
    assert json.loads(body)["resourceType"] == "OperationOutcome"  # complete, not cut short


def test_the_live_server_refuses_an_oversized_body_without_reading_it(live, token):
    auth = f"Authorization: Bearer {token}\r\nContent-Type: {FHIR_JSON}\r\n"
    declared = (
        f"POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
        f"Content-Length: {10 * 1024**3}\r\n\r\n"
    ).encode()
    answer, _ = timed(http_exchange, live.url, declared)
    assert_raw_outcome(answer, 413)

    chunked = (
        f"POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    megabyte = b"100000\r\n" + b" " * 0x100000 + b"\r\n"  # 1 MiB chunks, forever
    answer, sent = timed(http_exchange, live.url, chunked, (megabyte for _ in range(1024)))
    assert_raw_outcome(answer, 413)
    assert sent < 32 * LIVE_MAX_BODY_BYTES  # stopped after the limit, not after a gigabyte


def nested(depth: int) -> str:
    return '{"resourceType": "Patient", "extension": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_deeply_nested_json_gets_400(api, depth):
    body = assert_outcome(timed(api.fhir, "post", "/fhir/Patient", nested(depth)), 400)
    assert "nested" in body["issue"][0]["diagnostics"] or "JSON" in body["issue"][0]["diagnostics"]


def test_xml_is_not_accepted_and_external_entities_are_never_read(api):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Patient xmlns="http://hl7.org/fhir"><name><family value="&x;"/></name></Patient>'
    )
    for content_type in ["application/fhir+xml", "application/xml", "text/xml"]:
        answer = timed(api.fhir, "post", "/fhir/Patient", xxe, content_type=content_type)
        body = assert_outcome(answer, 415)
        assert "root:" not in json.dumps(body)
    assert_outcome(api.fhir("get", "/fhir/Patient?_format=xml"), 406)
    assert not ResourceRecord.objects.exists()


# -- searches ------------------------------------------------------------------------------------


def test_a_huge_count_is_clamped_to_fhir_max_count(api, settings):
    settings.FHIR_MAX_COUNT = 3
    for n in range(5):
        FhirRepository().create(patient(f"Many{n}"))
    for path in ["/fhir/Patient", "/fhir/Patient/_history", "/fhir/_history"]:
        bundle = timed(api.get, f"{path}?_count={'9' * 40}").json()
        assert len(bundle["entry"]) == 3, path
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert "_count=3" in links["next"], path
    bundle = api.get(f"/fhir/Patient?_count=2&_offset={'9' * 40}").json()
    assert bundle.get("entry", []) == []


REGEX_BOMBS = ["(a+)+$", "(a|aa)*b", "(.*a){25}", "^(([a-z])+.)+[A-Z]([a-z])+$", "a" * 5000 + "!"]


def test_regex_heavy_values_cost_no_more_than_plain_ones(api):
    for n in range(20):
        FhirRepository().create(patient("a" * 900 + f"!{n}"))
    for value in REGEX_BOMBS:
        for name in ["name", "name:contains", "name:exact", "family", "_text", "_content"]:
            answer = timed(api.get, f"/fhir/Patient?{name}={quote(value)}")
            assert answer.status_code in (200, 400), (name, value, answer.content[:200])


def searchable_parameters() -> list[tuple[str, str, ParamType]]:
    """Every search parameter of Patient and Observation, with its type, and those of the two
    kinds they lack (number, special) from RiskAssessment and Location: every kind covered."""
    found = [
        (resource_type, code, param.type)
        for resource_type in ["Patient", "Observation", "RiskAssessment", "Location"]
        for code, param in sorted(parameters_for(resource_type).items())
        if resource_type in ("Patient", "Observation")
        or param.type in (ParamType.NUMBER, ParamType.SPECIAL)
    ]
    assert {kind for _, _, kind in found} == set(ParamType)
    return found


LOCATION = {
    "resourceType": "Location",
    "name": "Ward 3",
    "position": {"longitude": -83.69, "latitude": 42.25},
}


def risk_assessment(subject: str) -> dict:
    prediction = {"outcome": {"text": "stroke"}, "probabilityDecimal": 0.12}
    return {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": {"reference": subject},
        "prediction": [prediction],
    }


def test_sql_injection_in_every_kind_of_search_parameter_is_only_a_value(api):
    chart = FhirRepository().create(patient("Innocent")).stored.resource_id
    FhirRepository().create(observation(f"Patient/{chart}"))
    FhirRepository().create(risk_assessment(f"Patient/{chart}"))
    FhirRepository().create(LOCATION)
    stored = ResourceRecord.objects.count()
    failures = []
    for resource_type, code, kind in searchable_parameters():
        names = [code] + [f"{code}:{m}" for m in sorted(SUPPORTED_MODIFIERS.get(kind, ()))[:2]]
        for name in names:
            for value in SQL:
                url = f"/fhir/{resource_type}?{name}={quote(value)}"
                answer = timed(api.get, url, headers={"Prefer": "handling=strict"})
                matched = answer.status_code == 200 and answer.json().get("total", 0) > 0
                if answer.status_code not in (200, 400) or (matched and "missing" not in name):
                    failures.append((resource_type, name, value, answer.status_code))
    assert not failures
    assert ResourceRecord.objects.count() == stored  # nothing dropped, nothing deleted


def test_sql_and_script_in_string_fields_are_stored_verbatim_and_found_exactly(api):
    family = "Robert'); DROP TABLE fhirapi_resourcerecord;--"
    created = api.fhir("post", "/fhir/Patient", patient(family, name=[{"family": family,
                       "given": [SCRIPT, ATTRIBUTE]}]))  # fmt: skip
    assert created.status_code == 201
    read = api.get(f"/fhir/Patient/{created.json()['id']}").json()
    assert read["name"] == [{"family": family, "given": [SCRIPT, ATTRIBUTE]}]
    found = api.get(f"/fhir/Patient?family:exact={quote(family)}").json()
    assert [e["resource"]["id"] for e in found["entry"]] == [created.json()["id"]]
    assert api.get(f"/fhir/Patient?given={quote(SCRIPT)}").json()["total"] == 1


def test_pages_escape_script_in_patient_data(db, physician, administrator, signed_in):
    repository = FhirRepository()
    chart = repository.create(patient(SCRIPT, name=[{"family": SCRIPT, "given": [ATTRIBUTE]}]))
    chart_id = chart.stored.resource_id
    pages = [
        (physician, reverse("finder") + "?q=" + quote(SCRIPT[:20])),
        (physician, reverse("chart-summary", args=[chart_id])),
        (administrator, reverse("explorer-resource", args=["Patient", chart_id])),
    ]
    for user, url in pages:
        page = signed_in(user).get(url)
        assert page.status_code == 200, url
        html = page.content.decode().lower()  # the chart header shows the family in capitals
        assert "&lt;script&gt;alert(" in html, url
        assert SCRIPT.lower() not in html and ATTRIBUTE.lower() not in html, url


# -- files ---------------------------------------------------------------------------------------


def test_import_urls_outside_the_import_directory_are_refused(api, settings, tmp_path):
    settings.FHIR_IMPORT_DIR = tmp_path / "imports"
    settings.FHIR_IMPORT_DIR.mkdir()
    (settings.FHIR_IMPORT_DIR / "escape").symlink_to("/etc")
    urls = [
        "file:///etc/passwd",
        f"file://{settings.FHIR_IMPORT_DIR}/../../../etc/passwd",
        f"file://{settings.FHIR_IMPORT_DIR}/escape/passwd",
        f"file://{settings.FHIR_IMPORT_DIR}/%2e%2e/%2e%2e/etc/passwd",
        f"file://{settings.FHIR_IMPORT_DIR}/nul%00.ndjson",
        "file://evil.example/share/data.ndjson",
        "http://169.254.169.254/latest/meta-data",
    ]
    for url in urls:
        manifest = {
            "resourceType": "Parameters",
            "parameter": [{"name": "input", "part": [{"name": "url", "valueUrl": url}]}],
        }
        assert_outcome(timed(api.fhir, "post", "/fhir/$import", manifest), 400)
    assert not ImportJob.objects.exists()


def test_export_file_names_cannot_climb_out(api):
    job = "00000000-0000-0000-0000-000000000000"
    for name in ["..%2F..%2Fsettings.py", "%2e%2e", "..", "Patient.ndjson%00"]:
        assert api.get(f"/fhir/bulk/export/{job}/{name}").status_code == 404


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lying_zip(real_size: int, claimed_size: int, name: str = "small.dcm") -> bytes:
    """A zip bomb whose headers claim a small file: only reading finds out."""
    archive = bytearray(zipped({name: bytes(real_size)}))
    real, claimed = real_size.to_bytes(4, "little"), claimed_size.to_bytes(4, "little")
    start = 0
    while (at := archive.find(real, start)) != -1:  # local header and central directory
        archive[at : at + 4] = claimed
        start = at + 4
    return bytes(archive)


def test_uploaded_file_names_never_become_paths(db, physician, settings, tmp_path):
    store = tmp_path / "store" / "dicom"
    backend = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    settings.STORAGES = {**settings.STORAGES, "dicom": {**backend, "OPTIONS": {"location": store}}}
    climbing = IncomingFile("../../escape.dcm", CT.read_bytes())
    report = dicom_ingest(files=[climbing], acting_user=physician, source="hostile")
    assert report.count(Status.STORED) == 1
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written and all(path.is_relative_to(store) for path in written)
    assert "escape" not in str(written)


def test_zip_bombs_in_image_uploads_are_refused_in_bounded_time_and_memory(settings):
    settings.IMAGING_MAX_UPLOAD_BYTES = 50 * 1024**2
    settings.IMAGING_MAX_ARCHIVE_ENTRIES = IMAGING_MAX_ENTRIES
    bombs = {
        "ratio.zip": zipped({"zeros.dcm": bytes(200 * 1024**2)}),  # 200 MiB of zeros
        "liar.zip": lying_zip(20 * 1024**2, 1000),
        "many.zip": zipped({f"{n}.dcm": b"" for n in range(IMAGING_MAX_ENTRIES + 1)}),
        "climb.zip": zipped({"../../etc/cron.d/x": b"* * * * * root sh"}),
    }  # fmt: skip
    tracemalloc.start()
    started = time.monotonic()
    for name, data in bombs.items():
        outcomes = list(upload_files([NamedStream(name, io.BytesIO(data))]))
        assert outcomes and all(isinstance(o, RejectedFile) for o in outcomes), name
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.monotonic() - started < QUICK
    assert peak < 64 * 1024**2  # never the 200 MiB the bomb holds


def test_zip_bombs_in_bulk_imports_are_refused_in_bounded_time(
    db, django_user_model, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.FHIR_IMPORT_MAX_ARCHIVE_BYTES = 10 * 1024**2
    owner = django_user_model.objects.create_superuser("importer")
    line = b'{"resourceType": "Patient", "id": "bomb"}\n'
    bombs = {
        "declared.zip": zipped({"Patient.ndjson": line + b" " * (64 * 1024**2)}),
        "liar.zip": lying_zip(64 * 1024**2, 1000, name="Patient.ndjson"),
        "climb.zip": zipped({"../../Patient.ndjson": line}),
    }
    for name, data in bombs.items():
        job = bulk.import_job_start(owner=owner, upload=(name, data))
        started = time.monotonic()
        bulk.import_job_run(job_id=str(job.pk))  # what the task does
        assert time.monotonic() - started < QUICK, name
        job.refresh_from_db()
        assert job.status == "failed" or job.errors, (name, job.status, job.results)
    assert not ResourceRecord.objects.exists()
