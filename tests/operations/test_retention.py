from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from cds.models import UsedJwtId
from clinical.operations import retention, tasks
from fhirapi.audit.models import AuditRecord
from fhirapi.audit.services import audit_record
from fhirapi.bulk import tasks as bulk_tasks
from fhirapi.bulk.models import ExportJob, JobStatus
from fhirapi.smart.models import AssertionJti
from wintehr.celery import app as celery_app


def old_audit_records(count: int, *, days_ago: int) -> None:
    recorded_at = timezone.now() - timedelta(days=days_ago)
    AuditRecord.objects.bulk_create(
        AuditRecord(
            recorded_at=recorded_at,
            username="old-user",
            action="R",
            subtype="read",
            outcome="0",
            content={"resourceType": "AuditEvent"},
        )
        for _ in range(count)
    )


@pytest.mark.django_db
def test_audit_purge_removes_only_records_past_retention(settings):
    old_audit_records(3, days_ago=400)
    old_audit_records(2, days_ago=10)
    removed = retention.audit_records_purge(retention_days=365)
    assert removed == 3
    assert AuditRecord.objects.filter(username="old-user").count() == 2
    purge = AuditRecord.objects.get(subtype="retention-purge")
    assert purge.content["outcomeDesc"].startswith("removed 3 audit records recorded before")


@pytest.mark.django_db
def test_audit_purge_in_batches(monkeypatch):
    monkeypatch.setattr(retention, "AUDIT_PURGE_BATCH", 2)
    old_audit_records(5, days_ago=30)
    assert retention.audit_records_purge(retention_days=7) == 5
    assert not AuditRecord.objects.filter(username="old-user").exists()


@pytest.mark.django_db
def test_zero_retention_keeps_everything():
    old_audit_records(2, days_ago=5000)
    assert retention.audit_records_purge(retention_days=0) == 0
    assert AuditRecord.objects.filter(username="old-user").count() == 2


@pytest.mark.django_db
def test_the_trigger_still_refuses_deletes_outside_the_purge():
    audit_record(kind=retention.RETENTION_PURGE, username="someone")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table}")


@pytest.mark.django_db
def test_task_uses_the_setting(settings):
    old_audit_records(1, days_ago=40)
    settings.AUDIT_RETENTION_DAYS = 0
    assert tasks.audit_records_purge() == 0
    settings.AUDIT_RETENTION_DAYS = 30
    assert tasks.audit_records_purge() == 1


@pytest.mark.django_db
def test_expired_sessions_are_cleared(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    expired = SessionStore()
    expired.set_expiry(-10)
    expired.create()
    live = SessionStore()
    live.create()
    assert tasks.sessions_clear() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


@pytest.mark.django_db
def test_sessions_idle_past_the_time_out_are_cleared(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    idle, active = SessionStore(), SessionStore()
    idle.create()
    active.create()
    written_40_minutes_ago = timezone.now() - timedelta(minutes=40)
    expire = written_40_minutes_ago + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    Session.objects.filter(session_key=idle.session_key).update(expire_date=expire)
    assert retention.sessions_clear() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [active.session_key]
    later = timezone.now() + timedelta(minutes=32)  # the other one, idle by then
    assert retention.sessions_clear(now=later) == 1


@pytest.mark.django_db
def test_expired_oauth_tokens_are_cleared(fhir_user):
    tokens = get_access_token_model()
    tokens.objects.create(
        user=fhir_user, token="old", expires=timezone.now() - timedelta(days=1), scope="x"
    )
    tokens.objects.create(
        user=fhir_user, token="new", expires=timezone.now() + timedelta(hours=1), scope="x"
    )
    assert tasks.oauth_tokens_clear() == 1
    assert list(tokens.objects.values_list("token", flat=True)) == ["new"]


@pytest.mark.django_db
def test_expired_jwt_ids_are_cleared():
    past, future = timezone.now() - timedelta(minutes=5), timezone.now() + timedelta(minutes=5)
    UsedJwtId.objects.create(issuer="https://cds.example", jti="a", expires_at=past)
    UsedJwtId.objects.create(issuer="https://cds.example", jti="b", expires_at=future)
    AssertionJti.objects.create(client_id="app", jti="c", expires=past)
    assert tasks.used_jwt_ids_clear() == 2
    assert UsedJwtId.objects.get().jti == "b"
    assert not AssertionJti.objects.exists()


def test_beat_schedule_names_registered_tasks(settings):
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "fhirapi.bulk.tasks.exports_expire",
        "clinical.operations.tasks.audit_records_purge",
        "clinical.operations.tasks.sessions_clear",
        "clinical.operations.tasks.oauth_tokens_clear",
        "clinical.operations.tasks.used_jwt_ids_clear",
        "fhirapi.subscriptions.tasks.subscriptions_retry",
    } <= scheduled
    assert scheduled <= set(celery_app.tasks)


def _purge_logs(caplog) -> list[dict]:
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "retention purge"
    ]


@pytest.mark.django_db
def test_purge_jobs_log_what_they_removed(caplog, fhir_user, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old_audit_records(2, days_ago=40)
    ExportJob.objects.create(
        owner=fhir_user,
        request_url="http://testserver/fhir/$export",
        base_url="http://testserver/fhir",
        level="system",
        status=JobStatus.COMPLETED,
        transaction_time=timezone.now(),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    caplog.set_level("INFO")
    tasks.audit_records_purge()
    bulk_tasks.exports_expire()
    tasks.sessions_clear()
    logged = {entry["kind"]: entry["removed"] for entry in _purge_logs(caplog)}
    assert logged == {"audit records": 2, "expired exports": 1, "expired sessions": 0}
    assert not ExportJob.objects.exists()
