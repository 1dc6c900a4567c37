import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinical.operations.backup import BackupError, database_dump


class Command(BaseCommand):
    help = (
        "Write the whole database (FHIR store with history and indexes, users, audit records) "
        "to FILE with pg_dump, from one consistent snapshot while the server keeps running. "
        "`restore FILE` loads it back (docs/backup.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        if file.exists():
            raise CommandError(f"{file} exists; name a new file")
        started = time.monotonic()
        try:
            database_dump(path=file)
        except BackupError as error:
            file.unlink(missing_ok=True)  # never leave a partial dump that looks like a backup
            raise CommandError(str(error)) from error
        size = file.stat().st_size / 1024**2
        seconds = time.monotonic() - started
        self.stdout.write(f"{file}: {size:.1f} MiB in {seconds:.1f} s")
