"""Ingest benchmark: the Synthea transaction bundles through the in-process API and over HTTP.

Run: .venv/bin/python bench/bench_ingest.py   (targets: >= 1,500 resources/s in-process,
>= 700 over HTTP with 2 uvicorn workers, on the 2-core reference machine)
"""

import json
import sys
import time

from _server import bench_token, running_server
from _setup import SHARED_DATA, django_ready, empty_store, print_table

django_ready()

import httpx  # noqa: E402

from fhirapi.services import FhirRepository  # noqa: E402

BUNDLES = sorted((SHARED_DATA / "synthea" / "r4-bundles").glob("*.json"))


def load_bundles() -> list[dict]:
    bundles = [json.loads(p.read_text()) for p in BUNDLES]
    # hospital and practitioner bundles first: patients refer to them
    return sorted(
        bundles, key=lambda b: not any("Information" in str(p) for p in [b.get("id", "")])
    )


def in_process(bundles: list[dict]) -> tuple[int, float]:
    empty_store()
    repository = FhirRepository(lenient_references=True)
    count = 0
    started = time.perf_counter()
    for bundle in bundles:
        repository.transaction(bundle, base_url="http://bench/fhir")
        count += len(bundle["entry"])
    return count, time.perf_counter() - started


def over_http(bundles: list[dict]) -> tuple[int, float]:
    empty_store()
    headers = {
        "Authorization": f"Bearer {bench_token()}",
        "Content-Type": "application/fhir+json",
        "Prefer": "return=minimal",
    }
    bodies = [json.dumps(b).encode() for b in bundles]
    count = sum(len(b["entry"]) for b in bundles)
    with (
        running_server(workers=2, FHIR_LENIENT_REFERENCES="true") as base,
        httpx.Client(timeout=120) as client,
    ):
        started = time.perf_counter()
        for body in bodies:
            client.post(f"{base}/fhir", content=body, headers=headers).raise_for_status()
        return count, time.perf_counter() - started


def main() -> None:
    bundles = load_bundles()
    rows = []
    for name, run in (("in-process", in_process), ("HTTP, 2 workers", over_http)):
        count, seconds = run(bundles)
        rows.append([name, len(bundles), count, f"{seconds:.2f}", f"{count / seconds:,.0f}"])
    print_table(
        "Ingest of Synthea transaction bundles",
        ["path", "bundles", "resources", "seconds", "resources/s"],
        rows,
    )
    print(f"\nreproduce: {sys.executable} bench/bench_ingest.py")


if __name__ == "__main__":
    main()
