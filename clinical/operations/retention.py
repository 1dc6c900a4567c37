"""Retention purges: each removes what has outlived its retention period and returns how many rows
it removed, which the Celery tasks (tasks.py) log. Expired $export files are purged by
fhirapi.bulk (`exports_expire`), scheduled beside these.

Audit records are kept for ever unless AUDIT_RETENTION_DAYS is set (HIPAA asks for six years of
security records: 2190 days or more). Purging uses the audit table's one escape from its
append-only trigger (fhirapi/audit/models.py), in batches, each its own transaction, and leaves an
audit record of its own saying how many records it removed and up to when."""

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone
from oauth2_provider import models as oauth2_models

from cds.models import UsedJwtId
from clinical.accounts.middleware import ACTIVITY_RESOLUTION_SECONDS
from fhirapi.audit.events import AuditKind, Coding
from fhirapi.audit.models import AuditRecord
from fhirapi.audit.services import audit_record
from fhirapi.smart.models import AssertionJti

AUDIT_PURGE_BATCH = 10_000
RETENTION_PURGE = AuditKind(
    "retention-purge",
    Coding("http://dicom.nema.org/resources/ontology/DCM", "110100", "Application Activity"),
    Coding("urn:wintehr:audit-subtype", "retention-purge", "Retention purge"),
    "D",
)


def audit_records_purge(*, retention_days: int, now: datetime | None = None) -> int:
    """Delete audit records older than `retention_days` (0: keep everything)."""
    if retention_days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    removed = 0
    while batch := _audit_batch_delete(cutoff):
        removed += batch
    if removed:
        audit_record(
            kind=RETENTION_PURGE,
            username="system",
            resource_type="AuditEvent",
            description=f"removed {removed} audit records recorded before {cutoff.isoformat()}",
        )
    return removed


def _audit_batch_delete(cutoff: datetime) -> int:
    table = AuditRecord._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL wintehr.audit_purge = 'on'")
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN "
            f"(SELECT id FROM {table} WHERE recorded_at < %s ORDER BY id LIMIT %s)",
            [cutoff, AUDIT_PURGE_BATCH],
        )
        return cursor.rowcount


def sessions_clear(*, now: datetime | None = None) -> int:
    """Delete expired sessions and stale ones: idle past SESSION_IDLE_TIMEOUT_MINUTES, which the
    idle time-out would sign out anyway. A session in use is written at least every
    ACTIVITY_RESOLUTION_SECONDS, each write setting its expire_date SESSION_COOKIE_AGE ahead, so
    an expire_date earlier than that after the idle limit means no write since. Each is deleted
    through its session store (the database row and, with Redis, the cached copy)."""
    now = now or timezone.now()
    idle = timedelta(
        minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES, seconds=ACTIVITY_RESOLUTION_SECONDS
    )
    stale_before = now - idle + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys = Session.objects.filter(expire_date__lt=max(stale_before, now)).values_list(
        "session_key", flat=True
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    removed = 0
    for key in keys.iterator():
        store().delete(key)
        removed += 1
    return removed


def oauth_tokens_clear() -> int:
    """Delete expired OAuth grants and tokens (django-oauth-toolkit's `cleartokens`)."""
    token_models = [
        oauth2_models.get_access_token_model(),
        oauth2_models.get_refresh_token_model(),
        oauth2_models.get_id_token_model(),
        oauth2_models.get_grant_model(),
    ]
    before = sum(model.objects.count() for model in token_models)
    oauth2_models.clear_expired()
    return before - sum(model.objects.count() for model in token_models)


def used_jwt_ids_clear() -> int:
    """Delete the remembered `jti`s of CDS Hooks and SMART client JWTs that have expired (they
    can no longer be replayed)."""
    now = timezone.now()
    cds, _ = UsedJwtId.objects.filter(expires_at__lt=now).delete()
    smart, _ = AssertionJti.objects.filter(expires__lt=now).delete()
    return cds + smart
