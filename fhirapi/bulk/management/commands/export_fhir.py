import time
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from fhirapi.bulk.exporter import ExportQuery, export_write
from fhirapi.bulk.progress import table
from fhirapi.store.resource_types import is_resource_type


class Command(BaseCommand):
    help = (
        "Write the current version of every resource to DIR as Bulk Data NDJSON (one file per "
        "type), from one consistent snapshot. `import_fhir DIR` restores it: same ids, same "
        "content (versions restart at 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--type", default="", help="comma-separated resource types")
        parser.add_argument("--since", default=None, help="only resources changed after (ISO)")

    def handle(self, *args, directory: Path, type: str, since: str | None, **options) -> None:
        types = tuple(t.strip() for t in type.split(",") if t.strip())
        unknown = [t for t in types if not is_resource_type(t)]
        if unknown:
            raise CommandError(f"not FHIR R4 resource types: {', '.join(unknown)}")
        if directory.exists() and any(directory.glob("*.ndjson")):
            raise CommandError(f"{directory} already holds NDJSON files; use an empty directory")
        query = ExportQuery(types=types, since=datetime.fromisoformat(since) if since else None)
        started = time.monotonic()
        outer = connection.in_atomic_block  # tests run inside a transaction already
        with transaction.atomic():
            if not outer:  # one snapshot for every page of every type
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            files = export_write(query, directory)
        seconds = time.monotonic() - started
        total = sum(f.count for f in files)
        rows = [[f.name, f"{f.count:,}"] for f in files]
        self.stdout.write(table(["file", "resources"], rows))
        rate = total / seconds if seconds > 0 else 0.0
        self.stdout.write(
            f"\n{total:,} resources in {seconds:.1f} s ({rate:,.0f}/s) written to {directory}"
        )
