"""Periodic jobs (scheduled by CELERY_BEAT_SCHEDULE in settings): each calls one purge and logs
what it removed."""

import structlog
from celery import shared_task
from django.conf import settings

from clinical.operations import retention

logger = structlog.get_logger(__name__)


@shared_task(name="clinical.operations.tasks.audit_records_purge")
def audit_records_purge() -> int:
    removed = retention.audit_records_purge(retention_days=settings.AUDIT_RETENTION_DAYS)
    logger.info(
        "retention purge",
        kind="audit records",
        removed=removed,
        retention_days=settings.AUDIT_RETENTION_DAYS,
    )
    return removed


@shared_task(name="clinical.operations.tasks.sessions_clear")
def sessions_clear() -> int:
    removed = retention.sessions_clear()
    logger.info("retention purge", kind="expired sessions", removed=removed)
    return removed


@shared_task(name="clinical.operations.tasks.oauth_tokens_clear")
def oauth_tokens_clear() -> int:
    removed = retention.oauth_tokens_clear()
    logger.info("retention purge", kind="expired OAuth tokens and grants", removed=removed)
    return removed


@shared_task(name="clinical.operations.tasks.used_jwt_ids_clear")
def used_jwt_ids_clear() -> int:
    removed = retention.used_jwt_ids_clear()
    logger.info("retention purge", kind="expired JWT ids", removed=removed)
    return removed
