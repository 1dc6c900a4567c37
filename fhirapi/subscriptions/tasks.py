"""Celery tasks: a rest-hook notification, retried with exponential back-off, then parked for
the periodic retry job (scheduled by CELERY_BEAT_SCHEDULE in settings)."""

import structlog
from celery import shared_task
from django.conf import settings

from fhirapi.subscriptions import services

logger = structlog.get_logger(__name__)


@shared_task(bind=True, name="fhirapi.subscriptions.tasks.rest_hook_notify", max_retries=None)
def rest_hook_notify(
    self, subscription_id: str, resource_type: str, resource_id: str, version_id: int
) -> bool:
    """One notification. With a worker, a failed attempt is retried after 1, 2, 4... times
    FHIR_SUBSCRIPTION_RETRY_SECONDS; run eagerly (no Redis) the retries follow at once."""
    attempts = 1 + (settings.FHIR_SUBSCRIPTION_RETRIES if self.request.is_eager else 0)
    for _ in range(attempts):
        delivered = services.rest_hook_deliver(
            subscription_id=subscription_id,
            resource_type=resource_type,
            resource_id=resource_id,
            version_id=version_id,
        )
        if delivered:
            return True
    if not self.request.is_eager and self.request.retries < settings.FHIR_SUBSCRIPTION_RETRIES:
        backoff = settings.FHIR_SUBSCRIPTION_RETRY_SECONDS * 2**self.request.retries
        raise self.retry(countdown=backoff)
    services.notification_park(
        subscription_id=subscription_id,
        resource_type=resource_type,
        resource_id=resource_id,
        version_id=version_id,
    )
    return False


@shared_task(name="fhirapi.subscriptions.tasks.subscriptions_retry")
def subscriptions_retry() -> dict[str, int]:
    """Try the parked notifications again; logs how many went out, failed and were dropped."""
    summary = services.pending_notifications_retry()
    logger.info(
        "subscription retries",
        delivered=summary.delivered,
        failed_subscriptions=summary.failed,
        dropped=summary.dropped,
    )
    return {"delivered": summary.delivered, "failed": summary.failed, "dropped": summary.dropped}
