"""Throwaway PostgreSQL clusters for the replication and recovery tests, run from pgserver's
binaries (the embedded server's own PostgreSQL 16): a primary made by initdb, and copies of it
made by pg_basebackup (a streaming standby, or a backup to recover from).

Each cluster listens only on a Unix socket in its own directory, so two of them never compete for
a port. The servers run as the `pgserver` user when the tests run as root (PostgreSQL refuses
root), so the clusters live in a directory of /tmp that user owns."""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
    from pgserver._commands import POSTGRES_BIN_PATH

PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
MISSING = [name for name in PROGRAMS if not (POSTGRES_BIN_PATH / name).exists()]
RUN_AS = "pgserver" if os.geteuid() == 0 else None
PORT = 5432  # the sockets are in per-cluster directories: the same number never clashes
PRIMARY_SETTINGS = {"wal_level": "replica", "max_wal_senders": 4, "fsync": "off"}


def run(program: str, *args: str | Path) -> None:
    command = [str(POSTGRES_BIN_PATH / program), *map(str, args)]
    result = subprocess.run(command, user=RUN_AS, capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise RuntimeError(f"{program} failed: {result.stderr or result.stdout}")


@dataclass
class Cluster:
    data: Path

    @property
    def socket_dir(self) -> Path:
        return self.data.parent / f"{self.data.name}-socket"

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.data.name}.log"

    def configure(self, **settings: object) -> None:
        """Append settings to postgresql.conf (the last value of a name wins)."""
        lines = [f"{name} = '{value}'" for name, value in settings.items()]
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(lines) + "\n")

    def start(self) -> None:
        server_directory(self.socket_dir)
        self.configure(listen_addresses="", port=PORT, unix_socket_directories=self.socket_dir)
        run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir), port=PORT, user="postgres", dbname=dbname, autocommit=True
        )

    def execute(self, sql: str, *params: object, dbname: str = "postgres") -> None:
        with self.connect(dbname) as connection:
            connection.execute(sql, params)

    def query(self, sql: str, *params: object, dbname: str = "postgres") -> object:
        """The first column of the first row."""
        with self.connect(dbname) as connection:
            return connection.execute(sql, params).fetchone()[0]

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@{quote(str(self.socket_dir), safe='')}:{PORT}/{dbname}"

    def wait_for(self, sql: str, *params: object, seconds: float = 30) -> float:
        """Poll until `sql` returns true; the seconds it took."""
        started = time.monotonic()
        with self.connect() as connection:
            while not connection.execute(sql, params).fetchone()[0]:
                if time.monotonic() - started > seconds:
                    raise TimeoutError(f"not true after {seconds} s: {sql}")
                time.sleep(0.001)
        return time.monotonic() - started


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A directory the server user may write, removed with every cluster started in it."""
    root = server_directory(Path(tempfile.mkdtemp(prefix="wintehr-pg-")))
    try:
        yield root
    finally:
        for pid_file in root.glob("*/postmaster.pid"):
            with contextlib.suppress(RuntimeError):
                Cluster(pid_file.parent).stop()
        shutil.rmtree(root, ignore_errors=True)


def primary(root: Path, **settings: object) -> Cluster:
    """A new, started cluster that accepts local replication connections (its default HBA)."""
    cluster = Cluster(root / "primary")
    run("initdb", "-D", cluster.data, "-U", "postgres", "-A", "trust", "--no-sync")
    cluster.configure(**{**PRIMARY_SETTINGS, **settings})
    cluster.start()
    return cluster


def base_backup(source: Cluster, data: Path, *options: str) -> Cluster:
    """A copy of `source` taken while it runs (not started); `-R` makes it a standby."""
    run(
        "pg_basebackup",
        "-h",
        source.socket_dir,
        "-p",
        str(PORT),
        "-U",
        "postgres",
        "-D",
        data,
        "-X",
        "stream",
        "-c",
        "fast",
        *options,
    )
    return Cluster(data)


def server_directory(path: Path) -> Path:
    """`path`, created if need be, writable by the servers."""
    path.mkdir(exist_ok=True)
    if RUN_AS:
        shutil.chown(path, RUN_AS, RUN_AS)
    return path
