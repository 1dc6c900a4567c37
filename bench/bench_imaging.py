"""Imaging benchmark: STOW-RS ingest and rendered-frame latency, WintEHR beside Orthanc (Debian's
orthanc + orthanc-dicomweb) on the same files in the same run, both over HTTP on this machine.

Files: every DICOM instance of the shared data set (CT, MR, CR, US, NM, multi-frame, compressed).
STOW-RS posts them in requests of BATCH instances. Rendered frames: frame 1 of each instance with
pixels as JPEG, first asked (cold) then asked again (cached), one request at a time.

Run: .venv/bin/python bench/bench_imaging.py
"""

import shutil
import sys
import time
import uuid
from pathlib import Path

from _server import bench_token, running_server
from _setup import REPO_ROOT, SHARED_DATA, django_ready, print_table

django_ready()

import httpx  # noqa: E402
import pydicom  # noqa: E402
from django.conf import settings  # noqa: E402

from imaging.models import Study  # noqa: E402
from tests.imaging.orthanc_server import orthanc_missing, orthanc_running  # noqa: E402

BATCH = 10
DICOM = SHARED_DATA / "dicom"


def dicom_files() -> list[tuple[bytes, str, str, str, bool]]:
    """(bytes, study, series, instance UID, has pixels) of each distinct instance."""
    found, seen = [], set()
    for path in sorted(p for p in DICOM.rglob("*") if p.is_file()):
        if path.suffix in (".json", ".txt", ".csv") or path.name.startswith("DICOMDIR"):
            continue
        try:
            ds = pydicom.dcmread(path)
            uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
        except Exception:
            continue
        if uids[2] in seen:
            continue
        seen.add(uids[2])
        found.append((path.read_bytes(), *uids, "Rows" in ds and "PixelData" in ds))
    return found


def stow(client: httpx.Client, url: str, files: list, headers: dict) -> float:
    started = time.perf_counter()
    for start in range(0, len(files), BATCH):
        boundary = uuid.uuid4().hex
        body = b"".join(
            f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + f[0] + b"\r\n"
            for f in files[start : start + BATCH]
        )
        body += f"--{boundary}--\r\n".encode()
        content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
        response = client.post(url, content=body, headers={**headers, "Content-Type": content_type})
        response.raise_for_status()
    return time.perf_counter() - started


def render_latencies(client: httpx.Client, root: str, files: list, headers: dict) -> list[float]:
    """Seconds per successful request; a refused frame counts as NaN (reported as failures)."""
    times = []
    for _, study, series, sop, has_pixels in files:
        if not has_pixels:
            continue
        url = f"{root}/studies/{study}/series/{series}/instances/{sop}/frames/1/rendered"
        started = time.perf_counter()
        response = client.get(url, headers={**headers, "Accept": "image/jpeg"})
        times.append(time.perf_counter() - started if response.is_success else float("nan"))
    return times


def percentile(values: list[float], share: float) -> str:
    ordered = sorted(v for v in values if v == v)
    index = min(len(ordered) - 1, round(share * (len(ordered) - 1)))
    return f"{ordered[index] * 1000:.1f}"


def run(name: str, root: str, files: list, headers: dict) -> tuple[list, list]:
    megabytes = sum(len(f[0]) for f in files) / 1e6
    with httpx.Client(timeout=300) as client:
        seconds = stow(client, f"{root}/studies", files, headers)
        cold = render_latencies(client, root, files, headers)
        cached = render_latencies(client, root, files, headers)
    ingest = [name, len(files), f"{megabytes:.1f}", f"{seconds:.2f}"]
    ingest += [f"{len(files) / seconds:.0f}", f"{megabytes / seconds:.1f}"]
    rendered = [
        [
            name,
            label,
            len(times),
            sum(1 for t in times if t != t),
            percentile(times, 0.5),
            percentile(times, 0.95),
        ]
        for label, times in (("cold", cold), ("cached", cached))
    ]
    return ingest, rendered


def fresh_wintehr_store() -> None:
    Study.objects.all().delete()
    for folder in (settings.IMAGING_DICOM_DIR, settings.IMAGING_RENDER_CACHE_DIR):
        shutil.rmtree(folder, ignore_errors=True)


def physician_token() -> str:
    """The bench user's token, the user given the physician role (view and document charts)."""
    from django.contrib.auth import get_user_model

    from clinical.roles import ensure_role_groups

    token = bench_token()
    user = get_user_model().objects.get(auth_token__key=token)
    user.groups.add(ensure_role_groups()["physician"])
    return token


def main() -> None:
    files = dicom_files()
    fresh_wintehr_store()
    headers = {"Authorization": f"Bearer {physician_token()}"}
    ingest_rows, render_rows = [], []
    with running_server(workers=1) as base:
        ingest, rendered = run("WintEHR", f"{base}/dicomweb", files, headers)
        ingest_rows.append(ingest)
        render_rows += rendered
    if orthanc_missing():
        print(f"Orthanc skipped: {orthanc_missing()}")
    else:
        with orthanc_running() as orthanc:
            ingest, rendered = run("Orthanc", orthanc.dicomweb_url, files, {})
            ingest_rows.append(ingest)
            render_rows += rendered
    print_table(
        f"STOW-RS ingest ({BATCH} instances per request)",
        ["server", "instances", "MB", "seconds", "instances/s", "MB/s"],
        ingest_rows,
    )
    print_table(
        "Rendered frame 1 as JPEG, one request at a time",
        ["server", "pass", "frames", "failed", "p50 ms", "p95 ms"],
        render_rows,
    )
    print(f"\nreproduce: {sys.executable} {Path(__file__).relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
