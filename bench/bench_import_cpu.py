"""CPU per resource of a serial import of the Synthea transaction Bundles into an emptied store:
the importing process's own CPU (resource.getrusage) and the embedded PostgreSQL's (postmaster,
backends and background workers, from /proc). Wall time is left out: on a shared machine it
measures the neighbours. --profile N prints the N hottest functions (cProfile on process time).

Run: .venv/bin/python bench/bench_import_cpu.py [--rounds 3] [--profile 40]
"""

import argparse
import cProfile
import pstats
import resource
import sys
import time

from _server import database_usage
from _setup import SHARED_DATA, django_ready, empty_store, print_table

django_ready()

from django.db import connection  # noqa: E402

from fhirapi.bulk.parallel import importer_for  # noqa: E402

BUNDLES = SHARED_DATA / "synthea" / "r4-bundles"


def python_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serial_import(profiler: cProfile.Profile | None) -> int:
    importer = importer_for(workers=1)
    if profiler:
        profiler.enable()
    results = importer.import_paths([BUNDLES])
    if profiler:
        profiler.disable()
    failed = [r.status for r in results if not r.ok and not r.skipped]
    if failed:
        sys.exit(f"import failed: {failed[:3]}")
    return sum(r.resources for r in results)


def measured_round(profiler: cProfile.Profile | None) -> tuple[int, float, float]:
    """(resources, Python CPU s, PostgreSQL CPU s) of one import into an emptied store."""
    empty_store()
    connection.ensure_connection()  # its backend is counted in both readings
    python, database = python_cpu(), database_usage().cpu_seconds
    count = serial_import(profiler)
    return count, python_cpu() - python, database_usage().cpu_seconds - database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="print the N hottest functions")
    options = parser.parse_args()
    serial_import(None)  # warm: registry, compiled plans, caches
    profiler = cProfile.Profile(time.process_time) if options.profile else None
    rows = []
    for number in range(1, options.rounds + 1):
        count, python, database = measured_round(profiler if number == 1 else None)
        label = f"{number}{' (profiled)' if profiler and number == 1 else ''}"
        rows.append([label, count, *us_per_resource(count, python, database)])
    print_table(
        "Serial import of the Synthea Bundles: CPU per resource",
        ["round", "resources", "Python us/res", "PostgreSQL us/res", "total us/res"],
        rows,
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(options.profile)
    print(f"\nreproduce: {sys.executable} {' '.join(sys.argv)}")


def us_per_resource(count: int, python: float, database: float) -> list[str]:
    return [f"{seconds / count * 1e6:,.0f}" for seconds in (python, database, python + database)]


if __name__ == "__main__":
    main()
