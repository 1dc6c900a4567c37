"""The embedded PostgreSQL server used when no DATABASE_URL is given.

pgserver ships a real PostgreSQL 16. The server runs from WINTEHR_DATA_DIR/postgres and is left
running when a process exits, so the web server, workers and tests all share the same one, and
its data survives restarts.
"""

import fcntl
import logging
import warnings
from pathlib import Path

DATABASE_NAME = "wintehr"

logger = logging.getLogger(__name__)


def embedded_database_settings(data_dir: Path) -> dict:
    """Start (or join) the embedded server and return Django DATABASES['default'] for it."""
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir, which warns when XDG_RUNTIME_DIR is unset.
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = data_dir / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    with _lock(data_dir / "postgres.lock"):
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        server.ensure_postgres_running()  # the handle is cached per process; the server may not be
        info = server.get_postmaster_info()
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return {
        "ENGINE": "wintehr.postgres",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
    }


class _lock:
    """An exclusive file lock, so two processes starting at once create the database once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def stop_embedded_server(data_dir: Path) -> None:
    """Stop the embedded server (a fast shutdown); the next process to need it starts it again."""
    import os

    from pgserver._commands import pg_ctl

    pgdata = data_dir / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        return
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
