"""Celery tasks: a rest-hook notification, retried with exponential back-off."""

from celery import shared_task
from django.conf import settings

from fhirapi.subscriptions import services


@shared_task(bind=True, name="fhirapi.subscriptions.tasks.rest_hook_notify", max_retries=None)
def rest_hook_notify(
    self, subscription_id: str, resource_type: str, resource_id: str, version_id: int
) -> bool:
    delivered = services.rest_hook_deliver(
        subscription_id=subscription_id,
        resource_type=resource_type,
        resource_id=resource_id,
        version_id=version_id,
    )
    if not delivered and self.request.retries < settings.FHIR_SUBSCRIPTION_RETRIES:
        backoff = settings.FHIR_SUBSCRIPTION_RETRY_SECONDS * 2**self.request.retries
        raise self.retry(countdown=backoff)
    return delivered
