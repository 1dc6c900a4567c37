"""A Subscription's notifications are evaluated as its owner (who wrote it): a change in a
restricted chart closed to them is neither announced nor sent."""

import json

import pytest

from clinical.chart_access.services import chart_restrict
from fhirapi.services import FhirRepository, user_actor
from fhirapi.subscriptions.models import SubscriptionOwner
from tests.fhirapi.subscriptions.conftest import committed
from tests.fhirapi.subscriptions.test_rest_hook import observation, patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(administrator, physician) -> str:
    """A chart restricted to the physician: the administrator is outside its care team."""
    patient_id = patient()
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[physician])
    return patient_id


def subscribe_as(user, endpoint: str, **channel) -> str:
    resource = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "glucose results",
        "criteria": "Observation?code=http://loinc.org|2339-0",
        "channel": {"type": "rest-hook", "endpoint": endpoint, **channel},
    }
    repository = FhirRepository(actor=user_actor(user))
    return committed(repository.create, resource).stored.resource_id


def test_the_writer_owns_the_subscription_after_its_activation(receiver, administrator):
    subscription_id = subscribe_as(administrator, receiver.url)

    assert FhirRepository().read("Subscription", subscription_id).content["status"] == "active"
    assert SubscriptionOwner.objects.get(pk=subscription_id).owner == administrator


def test_a_change_in_a_chart_closed_to_the_owner_is_not_notified(receiver, administrator, closed):
    subscribe_as(administrator, receiver.url)

    committed(FhirRepository().create, observation(closed))
    assert receiver.requests == []
    committed(FhirRepository().create, observation(patient()))
    assert len(receiver.requests) == 1


def test_a_payload_never_carries_a_closed_chart(receiver, administrator, closed):
    subscribe_as(administrator, receiver.url, payload="application/fhir+json")

    hidden = committed(FhirRepository().create, observation(closed)).stored.resource_id
    shown = committed(FhirRepository().create, observation(patient())).stored.resource_id

    [request] = receiver.requests
    assert request["path"] == f"/hook/Observation/{shown}"
    assert json.loads(request["body"])["id"] == shown
    assert hidden not in request["path"]


def test_an_owner_on_the_care_team_is_told(receiver, administrator, closed):
    subscription_id = subscribe_as(administrator, receiver.url)
    chart_restrict(patient_id=closed, acting_user=administrator, care_team=[administrator])

    committed(FhirRepository().create, observation(closed))

    assert len(receiver.requests) == 1
    assert SubscriptionOwner.objects.filter(pk=subscription_id, owner=administrator).exists()


def test_a_deactivated_owner_gets_nothing(receiver, administrator):
    subscribe_as(administrator, receiver.url)
    type(administrator).objects.filter(pk=administrator.pk).update(is_active=False)

    committed(FhirRepository().create, observation(patient()))

    assert receiver.requests == []
