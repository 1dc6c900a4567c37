"""Bulk benchmark: import (resources/s) of the Synthea transaction Bundles and of a 100k-resource
NDJSON set (the Synthea Bulk NDJSON sample cloned with fresh ids), through the import path
(FhirRepository.create_many, search indexing included); then a system export of the store
(resources/s, and the Python heap's peak while writing, by tracemalloc).

Run: .venv/bin/python bench/bench_bulk.py [--resources 100000] [--workers N]   (N: default
FHIR_IMPORT_WORKERS, the number of CPUs;
targets: import >= 3,000/s, export >= 20,000/s with memory flat in the store's size)
"""

import argparse
import re
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

from _setup import SHARED_DATA, django_ready, empty_store, print_table

django_ready()

from fhirapi.bulk.exporter import ExportQuery, export_write  # noqa: E402
from fhirapi.bulk.parallel import default_workers, importer_for  # noqa: E402

BUNDLES = SHARED_DATA / "synthea" / "r4-bundles"
NDJSON = SHARED_DATA / "synthea" / "bulk-ndjson-10-patients"
SHARED_TYPES = ("Organization", "Location", "Practitioner", "PractitionerRole")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def cloned_ndjson(directory: Path, wanted: int) -> int:
    """Write the NDJSON sample, its patients' data cloned with fresh ids until `wanted` lines."""
    files = {
        p.name: p.read_text().splitlines()
        for p in NDJSON.glob("*.ndjson")
        if p.name != "log.ndjson"
    }
    shared = {n: lines for n, lines in files.items() if n.split(".")[0] in SHARED_TYPES}
    per_patient = {n: lines for n, lines in files.items() if n not in shared}
    own_ids = {
        m for lines in per_patient.values() for line in lines for m in UUID.findall(line[:80])
    }
    count = sum(len(lines) for lines in shared.values())
    for name, lines in shared.items():
        (directory / name).write_text("\n".join(lines) + "\n")
    outputs = {name: (directory / name).open("w") for name in per_patient}
    clone = 0
    while count < wanted:
        clone += 1
        fresh = fresh_ids(uuid.UUID(int=clone), own_ids)
        for name, lines in per_patient.items():
            for line in lines:
                outputs[name].write(UUID.sub(fresh, line) + "\n")
            count += len(lines)
    for out in outputs.values():
        out.close()
    return count


def fresh_ids(namespace: uuid.UUID, own_ids: set[str]):
    """Replaces the ids of the cloned resources (not those of the shared ones they refer to)."""

    def fresh(match: re.Match) -> str:
        return str(uuid.uuid5(namespace, match[0])) if match[0] in own_ids else match[0]

    return fresh


def timed_import(paths: list[Path], workers: int) -> tuple[int, float, int]:
    importer = importer_for(workers=workers)
    started = time.perf_counter()
    results = importer.import_paths(paths)
    seconds = time.perf_counter() - started
    failed = [r.status for r in results if not r.ok and not r.skipped]
    if failed:
        sys.exit(f"import failed: {failed[:3]}")
    return sum(r.resources for r in results), seconds, len(results)


def timed_export(directory: Path, *, trace: bool) -> tuple[int, float, int]:
    shutil.rmtree(directory, ignore_errors=True)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    files = export_write(ExportQuery(), directory)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return sum(f.count for f in files), seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=default_workers())
    options = parser.parse_args()
    wanted, workers = options.resources, options.workers
    rows = []
    with tempfile.TemporaryDirectory(prefix="wintehr-bench-bulk-") as tmp:
        work = Path(tmp)
        empty_store()
        count, seconds, files = timed_import([BUNDLES], workers)
        rows.append(
            [
                "import Synthea Bundles",
                workers,
                files,
                count,
                f"{seconds:.1f}",
                f"{count / seconds:,.0f}",
                "",
            ]
        )
        empty_store()
        (work / "ndjson").mkdir()
        cloned_ndjson(work / "ndjson", wanted)
        count, seconds, files = timed_import([work / "ndjson"], workers)
        rows.append(
            [
                "import NDJSON (cloned)",
                workers,
                files,
                count,
                f"{seconds:.1f}",
                f"{count / seconds:,.0f}",
                "",
            ]
        )
        again, seconds, files = timed_import([work / "ndjson"], workers)
        rows.append(
            [
                "re-import NDJSON (unchanged)",
                workers,
                files,
                again,
                f"{seconds:.1f}",
                f"{again / seconds:,.0f}",
                "",
            ]
        )
        count, seconds, _ = timed_export(work / "export", trace=False)
        rows.append(
            ["export (system)", 1, "", count, f"{seconds:.1f}", f"{count / seconds:,.0f}", ""]
        )
        count, seconds, peak = timed_export(work / "export", trace=True)
        rows.append(
            ["export, traced", 1, "", count, f"{seconds:.1f}", "", f"{peak / 2**20:.1f} MiB"]
        )
        small, _, small_peak = timed_export_subset(work / "small")
        rows.append(
            ["export 1 type, traced", 1, "", small, "", "", f"{small_peak / 2**20:.1f} MiB"]
        )
    print_table(
        f"Bulk import ({workers} worker process(es)) and export",
        ["run", "workers", "files", "resources", "seconds", "resources/s", "peak Python heap"],
        rows,
    )
    print(
        f"\nreproduce: {sys.executable} bench/bench_bulk.py --resources {wanted} "
        f"--workers {workers}"
    )


def timed_export_subset(directory: Path) -> tuple[int, float, int]:
    """The heap's peak for a small export: compared with the whole store's, it shows memory
    does not grow with the number of resources."""
    tracemalloc.start()
    started = time.perf_counter()
    files = export_write(ExportQuery(types=("Patient",)), directory)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return sum(f.count for f in files), seconds, peak


if __name__ == "__main__":
    main()
