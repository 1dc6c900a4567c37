import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fhirapi.bulk.importer import FileResult
from fhirapi.bulk.parallel import default_workers, importer_for
from fhirapi.bulk.progress import ProgressBar, table

STATUS_WIDTH = 100


class Command(BaseCommand):
    help = (
        "Import FHIR data: Synthea transaction Bundles (.json), Bulk Data NDJSON files, "
        "directories and .zip / .tar.gz archives of them. Idempotent: resources keep their ids "
        "(see fhirapi/bulk/bundles.py), so importing the same data again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--chunk-size", type=int, default=1000, help="NDJSON lines per transaction"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="processes importing side by side (default: FHIR_IMPORT_WORKERS; 1: this one)",
        )

    def handle(self, *args, paths: list[Path], chunk_size: int, workers: int, **options) -> None:
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        bar = ProgressBar(self.stderr._out)
        importer = importer_for(workers=workers, chunk_size=chunk_size, on_progress=bar)
        results = importer.import_paths(paths)
        bar.close(importer.progress)
        self.stdout.write(summary(results, importer.progress.elapsed))
        failed = [result for result in results if result.failure]
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} file(s) failed (see above)")


def summary(results: list[FileResult], seconds: float) -> str:
    root = _common_directory([result.name for result in results])
    rows = [
        [
            result.name.removeprefix(root),
            f"{result.resources:,}",
            f"{result.counts.created:,}",
            f"{result.counts.updated:,}",
            f"{result.counts.unchanged:,}",
            f"{result.seconds:.2f}",
            result.status[:STATUS_WIDTH],
        ]
        for result in results
    ]
    total = sum(result.resources for result in results)
    rate = total / seconds if seconds > 0 else 0.0
    headers = [
        f"file (in {root})" if root else "file",
        "resources",
        "created",
        "updated",
        "unchanged",
        "seconds",
        "status",
    ]
    return (
        f"\n{table(headers, rows)}\n\n{len(results)} file(s), {total:,} resources in "
        f"{seconds:.1f} s ({rate:,.0f}/s)\n"
    )


def _common_directory(names: list[str]) -> str:
    """The directory all the files are in, with its final slash ("" when there is none)."""
    directories = [str(Path(name.split("!")[0]).parent) for name in names]
    if not directories:
        return ""
    common = os.path.commonpath(directories)
    return "" if common in ("", ".") else common.rstrip("/") + "/"
