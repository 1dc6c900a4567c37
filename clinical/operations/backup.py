"""Database backups with PostgreSQL's own tools: `pg_dump` writes the whole database (the FHIR
store with its history and indexes, users, audit records, jobs) to one compressed file, and
`pg_restore` loads it into an empty database. The client programs must not be older than the
server, so they are chosen by the server's major version: the embedded PostgreSQL's own, or one
on the PATH or under /usr/lib/postgresql. The procedure around them is docs/backup.md."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from django.db import DatabaseError, connections

PROGRAM_DIRS = ["/usr/lib/postgresql/*/bin"]


class BackupError(Exception):
    pass


def database_dump(*, path: Path, alias: str = "default") -> Path:
    """Write the database to `path` (pg_dump's custom format: compressed, restorable by table)."""
    database = connections[alias].settings_dict
    program = postgres_program("pg_dump", server_major=server_major_version(alias))
    _run([program, "--format=custom", f"--file={path}", *_connection_args(database)], database)
    return path


def database_restore(*, path: Path, database_name: str, alias: str = "default") -> None:
    """Load a dump into `database_name` on the server of `alias`, in one transaction: either
    everything is restored or nothing is. The database must exist and hold no tables."""
    database = {**connections[alias].settings_dict, "NAME": database_name}
    if _table_count(database):
        raise BackupError(f"the database {database_name} is not empty: restore into a new one")
    program = postgres_program("pg_restore", server_major=server_major_version(alias))
    args = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
    _run([program, *args, *_connection_args(database), str(path)], database)


def database_create(*, name: str, alias: str = "default") -> None:
    """A new empty database beside the configured one (for a restore drill or a side-by-side
    restore before switching over)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{_identifier(name)}"')
    except DatabaseError as error:  # it exists already
        raise BackupError(f"cannot create the database {name}: {error}") from error


def database_drop(*, name: str, alias: str = "default") -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{_identifier(name)}"')


def server_major_version(alias: str = "default") -> int:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.pg_version // 10000


def postgres_program(name: str, *, server_major: int) -> str:
    """The client program of the server's major version, else the newest newer one (pg_dump reads
    older servers, never newer ones)."""
    found = {}
    for candidate in _program_candidates(name):
        major = _program_major_version(candidate)
        found.setdefault(major, candidate)
    usable = sorted(major for major in found if major >= server_major)
    if not usable:
        raise BackupError(f"no {name} of PostgreSQL {server_major} or newer: install it")
    best = server_major if server_major in usable else usable[-1]
    return found[best]


def _program_candidates(name: str) -> list[str]:
    candidates = []
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(str(POSTGRES_BIN_PATH / name))
    except ImportError:  # only the embedded server's installation ships it
        pass
    if on_path := shutil.which(name):
        candidates.append(on_path)
    for pattern in PROGRAM_DIRS:
        candidates += sorted(str(p / name) for p in Path("/").glob(pattern.lstrip("/")))
    return [c for c in candidates if os.access(c, os.X_OK)]


def _program_major_version(program: str) -> int:
    output = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"\(PostgreSQL\) (\d+)", output.stdout)
    return int(match.group(1)) if match else 0


def _table_count(database: dict) -> int:
    connection = psycopg.connect(**psycopg_args(database))
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        return cursor.fetchone()[0]


def psycopg_args(database: dict) -> dict:
    names = {
        "NAME": "dbname",
        "USER": "user",
        "PASSWORD": "password",
        "HOST": "host",
        "PORT": "port",
    }
    return {key: database[name] for name, key in names.items() if database.get(name)}


def _connection_args(database: dict) -> list[str]:
    args = [f"--dbname={database['NAME']}", f"--username={database['USER']}"]
    if database.get("HOST"):
        args.append(f"--host={database['HOST']}")
    if database.get("PORT"):
        args.append(f"--port={database['PORT']}")
    return args


def _run(command: list[str], database: dict) -> None:
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = database["PASSWORD"]
    done = subprocess.run(command, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise BackupError(f"not a plain database name: {name!r}")
    return name
