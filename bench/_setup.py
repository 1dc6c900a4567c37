"""Shared set-up for benchmarks: a separate data dir (its own embedded PostgreSQL unless
DATABASE_URL is set), migrated, with an empty resource store."""

import os
import secrets
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def django_ready() -> None:
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DEBUG", "true")
    # One key for this process and the servers it starts (bench/_server.py): the sessions it
    # signs in are then valid on them.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("WINTEHR_DATA_DIR", str(REPO_ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wintehr.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def empty_store() -> None:
    from django.db import connection

    from fhirapi.store.models import ResourceRecord

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ResourceRecord._meta.db_table} CASCADE")


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in [h, *[r[i] for r in rows]]) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
