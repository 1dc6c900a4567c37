import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from clinical.operations.backup import (
    BackupError,
    database_create,
    database_drop,
    database_restore,
)


class Command(BaseCommand):
    help = (
        "Load a `backup` FILE into the configured database, which must be empty (a new server), "
        "or with --into NAME into a new database NAME beside it (a drill, or a restore to switch "
        "over to). All or nothing: one transaction (docs/backup.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--into", default="", help="create this database and restore there")

    def handle(self, *args, file: Path, into: str, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        target = into or connection.settings_dict["NAME"]
        started = time.monotonic()
        try:
            restore(file, into=into, target=target)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{file} restored into {target} in {time.monotonic() - started:.1f} s")


def restore(file: Path, *, into: str, target: str) -> None:
    if into:
        database_create(name=into)  # refused, creating nothing, if the name is bad or taken
    try:
        database_restore(path=file, database_name=target)
    except BackupError:
        if into:
            database_drop(name=into)  # a failed restore leaves no database behind
        raise
