"""Subscriptions with a rest-hook channel, delivered to a real HTTP receiver."""

import json

import pytest

from fhirapi.services import FhirRepository
from fhirapi.subscriptions.models import SubscriptionChannel
from tests.fhirapi.subscriptions.conftest import committed

pytestmark = pytest.mark.django_db


def patient() -> str:
    resource = {"resourceType": "Patient", "name": [{"family": "Hook"}]}
    return FhirRepository().create(resource).stored.resource_id


def observation(patient_id: str, code: str = "2339-0") -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "valueQuantity": {"value": 6.1, "unit": "mmol/L"},
    }


def subscribe(endpoint: str, criteria: str = "Observation?code=http://loinc.org|2339-0", **channel):
    resource = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "glucose results",
        "criteria": criteria,
        "channel": {"type": "rest-hook", "endpoint": endpoint, **channel},
    }
    created = committed(FhirRepository().create, resource)
    return created.stored.resource_id


def subscription(subscription_id: str) -> dict:
    return FhirRepository().read("Subscription", subscription_id).content


def test_a_requested_subscription_becomes_active(receiver):
    subscription_id = subscribe(receiver.url)
    assert subscription(subscription_id)["status"] == "active"
    assert SubscriptionChannel.objects.get(pk=subscription_id).resource_type == "Observation"


def test_criteria_that_do_not_parse_are_an_error_with_the_reason(receiver):
    subscription_id = subscribe(receiver.url, criteria="Observation?no-such-parameter=1")
    found = subscription(subscription_id)
    assert found["status"] == "error"
    assert "no-such-parameter" in found["error"]
    assert not SubscriptionChannel.objects.filter(pk=subscription_id).exists()


def test_a_matching_change_is_notified_with_the_channel_headers(receiver):
    subscribe(receiver.url, header=["Authorization: Bearer secret-1", "X-Tenant: ward-4"])
    patient_id = patient()
    committed(FhirRepository().create, observation(patient_id, code="8480-6"))  # no match
    assert receiver.requests == []
    committed(FhirRepository().create, observation(patient_id))
    [request] = receiver.requests
    assert (request["method"], request["path"], request["body"]) == ("POST", "/hook", b"")
    assert request["headers"]["Authorization"] == "Bearer secret-1"
    assert request["headers"]["X-Tenant"] == "ward-4"


def test_with_a_payload_the_resource_is_put(receiver):
    subscribe(receiver.url, payload="application/fhir+json")
    created = committed(FhirRepository().create, observation(patient()))
    [request] = receiver.requests
    assert request["method"] == "PUT"
    assert request["path"] == f"/hook/Observation/{created.stored.resource_id}"
    assert request["headers"]["Content-Type"] == "application/fhir+json"
    assert json.loads(request["body"])["id"] == created.stored.resource_id


def test_a_failed_delivery_is_retried_then_succeeds(receiver):
    subscription_id = subscribe(receiver.url)
    receiver.statuses = [503]
    committed(FhirRepository().create, observation(patient()))
    assert len(receiver.requests) == 2
    channel = SubscriptionChannel.objects.get(pk=subscription_id)
    assert (channel.status, channel.failures) == ("active", 0)
    assert subscription(subscription_id)["status"] == "active"


def test_repeated_failures_are_an_error_and_a_later_success_recovers(receiver, settings):
    settings.FHIR_SUBSCRIPTION_MAX_FAILURES = 3
    settings.FHIR_SUBSCRIPTION_RETRIES = 1
    subscription_id = subscribe(receiver.url)
    patient_id = patient()
    receiver.statuses = [500] * 4
    committed(FhirRepository().create, observation(patient_id))  # 2 attempts, both fail
    assert subscription(subscription_id)["status"] == "active"
    committed(FhirRepository().create, observation(patient_id))  # 2 more: 4 >= 3
    failed = subscription(subscription_id)
    assert failed["status"] == "error"
    assert "HTTP 500" in failed["error"]
    assert SubscriptionChannel.objects.get(pk=subscription_id).failures == 4

    committed(FhirRepository().create, observation(patient_id))  # the endpoint is back
    recovered = subscription(subscription_id)
    assert recovered["status"] == "active"
    assert "error" not in recovered
    assert len(receiver.requests) == 5


def test_an_unreachable_endpoint_counts_as_a_failure(settings):
    settings.FHIR_SUBSCRIPTION_MAX_FAILURES = 1
    settings.FHIR_SUBSCRIPTION_RETRIES = 0
    subscription_id = subscribe("http://127.0.0.1:9/nobody-listens")
    committed(FhirRepository().create, observation(patient()))
    found = subscription(subscription_id)
    assert found["status"] == "error"
    assert "127.0.0.1:9" in found["error"]


def test_a_subscription_switched_off_gets_nothing(receiver):
    subscription_id = subscribe(receiver.url)
    off = {**subscription(subscription_id), "status": "off"}
    committed(FhirRepository().update, "Subscription", subscription_id, off)
    committed(FhirRepository().create, observation(patient()))
    assert receiver.requests == []
    assert not SubscriptionChannel.objects.filter(pk=subscription_id).exists()
