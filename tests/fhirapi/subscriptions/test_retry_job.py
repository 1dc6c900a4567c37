"""The periodic retry job: rest-hook notifications whose retries ran out are parked and tried
again by `subscriptions_retry` (scheduled by Celery beat) until delivered or too old."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fhirapi.services import FhirRepository
from fhirapi.subscriptions import services, tasks
from fhirapi.subscriptions.models import PendingNotification, SubscriptionChannel
from tests.fhirapi.subscriptions.conftest import committed
from tests.fhirapi.subscriptions.test_rest_hook import observation, patient, subscribe, subscription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_retries(settings):
    settings.FHIR_SUBSCRIPTION_RETRIES = 0
    settings.FHIR_SUBSCRIPTION_MAX_FAILURES = 1


def test_a_failed_notification_is_parked_then_delivered_by_the_job(receiver):
    subscription_id = subscribe(receiver.url, payload="application/fhir+json")
    receiver.statuses = [500]
    created = committed(FhirRepository().create, observation(patient()))
    assert subscription(subscription_id)["status"] == "error"
    parked = PendingNotification.objects.get()
    assert (parked.channel_id, parked.resource_id) == (
        subscription_id,
        created.stored.resource_id,
    )

    assert tasks.subscriptions_retry() == {"delivered": 1, "failed": 0, "dropped": 0}
    assert [r["method"] for r in receiver.requests] == ["PUT", "PUT"]
    assert receiver.requests[1]["path"] == f"/hook/Observation/{created.stored.resource_id}"
    assert not PendingNotification.objects.exists()
    assert subscription(subscription_id)["status"] == "active"
    channel = SubscriptionChannel.objects.get(pk=subscription_id)
    assert (channel.failures, channel.last_delivery_at is not None) == (0, True)


def test_an_endpoint_still_down_is_tried_once_per_run_and_keeps_its_notifications(receiver):
    subscribe(receiver.url)
    receiver.statuses = [500] * 3
    patient_id = patient()
    committed(FhirRepository().create, observation(patient_id))
    committed(FhirRepository().create, observation(patient_id))
    assert PendingNotification.objects.count() == 2
    assert tasks.subscriptions_retry() == {"delivered": 0, "failed": 1, "dropped": 0}
    assert len(receiver.requests) == 3  # two first attempts, one retry
    assert PendingNotification.objects.count() == 2


def test_notifications_older_than_the_retry_window_are_dropped(receiver, settings):
    settings.FHIR_SUBSCRIPTION_RETRY_HOURS = 2
    subscribe(receiver.url)
    receiver.statuses = [500]
    committed(FhirRepository().create, observation(patient()))
    later = timezone.now() + timedelta(hours=3)
    summary = services.pending_notifications_retry(now=later)
    assert (summary.delivered, summary.failed, summary.dropped) == (0, 0, 1)
    assert len(receiver.requests) == 1
    assert not PendingNotification.objects.exists()


def test_switching_a_subscription_off_discards_its_parked_notifications(receiver):
    subscription_id = subscribe(receiver.url)
    receiver.statuses = [500]
    committed(FhirRepository().create, observation(patient()))
    off = {**subscription(subscription_id), "status": "off"}
    committed(FhirRepository().update, "Subscription", subscription_id, off)
    assert not PendingNotification.objects.exists()
    assert tasks.subscriptions_retry()["delivered"] == 0
