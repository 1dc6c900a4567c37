"""What the System status page and /metrics report: the database, Redis, Celery workers and their
queues, the data directory's disk use, and the store's size. Each reader is short and reports a
failure as a value instead of raising, so one broken part never hides the others."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from fhirapi.services import FhirRepository
from fhirapi.store.reads import TypeCounts
from wintehr.celery import app as celery_app

OK, FAILING, NOT_CONFIGURED = "ok", "failing", "not configured"
WORKER_PING_SECONDS = 1.0
REDIS_TIMEOUT_SECONDS = 2.0
# kombu's Redis transport keeps priorities 3, 6 and 9 of a queue in lists of their own.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK, FAILING or NOT_CONFIGURED
    detail: str = ""


@dataclass(frozen=True)
class DirectoryUse:
    name: str
    bytes: int


@dataclass(frozen=True)
class SystemStatus:
    checks: list[Check]
    queues: dict[str, int]
    storage: list[DirectoryUse]
    disk_total: int
    disk_free: int
    resources: TypeCounts | None


def system_status() -> SystemStatus:
    disk = shutil.disk_usage(settings.WINTEHR_DATA_DIR)
    return SystemStatus(
        checks=[database_check(), *replica_checks(), redis_check(), celery_workers_check()],
        queues=_or_empty(queue_depths),
        storage=data_dir_use(settings.WINTEHR_DATA_DIR),
        disk_total=disk.total,
        disk_free=disk.free,
        resources=_or_none(lambda: FhirRepository().type_counts()),
    )


def database_check(alias: str = DEFAULT_DB_ALIAS) -> Check:
    name = "Database" if alias == DEFAULT_DB_ALIAS else f"Database replica {alias}"
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), "
                "pg_size_pretty(pg_database_size(current_database())), "
                "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()), "
                "current_setting('max_connections')"
            )
            version, size, used, limit = cursor.fetchone()
    except Exception as exc:  # a status page reports the failure
        return Check(name, FAILING, _message(exc))
    return Check(name, OK, f"PostgreSQL {version}, {size}, {used} of {limit} connections")


def replica_checks() -> list[Check]:
    aliases = [alias for alias in settings.DATABASES if alias.startswith("replica")]
    return [database_check(alias) for alias in aliases]


def redis_check() -> Check:
    if not settings.REDIS_URL:
        return Check("Redis", NOT_CONFIGURED, "no REDIS_URL: cache and channel layer in-process")
    try:
        with redis_client() as client:
            info = client.info("memory")
    except Exception as exc:
        return Check("Redis", FAILING, _message(exc))
    return Check("Redis", OK, f"{info.get('used_memory_human', '?')} used")


def celery_workers_check() -> Check:
    if not settings.REDIS_URL:
        return Check(
            "Celery workers", NOT_CONFIGURED, "no REDIS_URL: tasks run inside the web process"
        )
    try:
        # A connection of its own, closed after: a pooled one would be left polling for late
        # replies, and a process forked later (parallel imports) would hang closing it.
        with celery_app.connection_for_read() as connection:
            inspect = celery_app.control.inspect(timeout=WORKER_PING_SECONDS, connection=connection)
            replies = inspect.ping() or {}
    except Exception as exc:
        return Check("Celery workers", FAILING, _message(exc))
    if not replies:
        return Check("Celery workers", FAILING, f"no worker answered within {WORKER_PING_SECONDS}s")
    return Check("Celery workers", OK, ", ".join(sorted(replies)))


def queue_depths() -> dict[str, int]:
    """Messages waiting in each Celery queue (Redis LLEN); empty without Redis."""
    if not settings.REDIS_URL:
        return {}
    queues = {celery_app.conf.task_default_queue}
    with redis_client() as client:
        return {
            queue: sum(client.llen(queue + suffix) for suffix in PRIORITY_SUFFIXES)
            for queue in sorted(queues)
        }


def data_dir_use(data_dir: Path) -> list[DirectoryUse]:
    """Bytes under each entry of WINTEHR_DATA_DIR, largest first."""
    uses = [DirectoryUse(entry.name, _tree_bytes(entry)) for entry in os.scandir(data_dir)]
    return sorted(uses, key=lambda use: use.bytes, reverse=True)


def table_row_estimates() -> dict[str, int]:
    """The planner's row counts (pg_class.reltuples) of the store's and the audit trail's tables;
    free to read at any size."""
    tables = [
        model._meta.db_table
        for label in ("fhirapi", "audit")
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed
    ]
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT relname, greatest(reltuples, 0)::bigint FROM pg_class "
            "WHERE relkind IN ('r', 'p') AND relname = ANY(%s)",
            [tables],
        )
        return dict(cursor.fetchall())


def database_connections() -> dict[str, int]:
    """This database's server connections by state (active, idle, idle in transaction, ...)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() GROUP BY 1"
        )
        return dict(cursor.fetchall())


@contextmanager
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        yield client
    finally:
        client.close()


def _tree_bytes(entry: os.DirEntry) -> int:
    if not entry.is_dir(follow_symlinks=False):
        return entry.stat(follow_symlinks=False).st_size
    total = 0
    for root, _dirs, files in os.walk(entry.path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed while walking (PostgreSQL's temporary files)
                continue
    return total


def _or_empty(read) -> dict[str, int]:
    try:
        return read()
    except Exception:  # the checks above already say what is failing
        return {}


def _or_none(read):
    try:
        return read()
    except Exception:
        return None


def _message(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
