"""The R4 websocket channel: bind, bound, ping."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.contrib.auth.models import AnonymousUser

from fhirapi.services import FhirRepository, user_actor
from fhirapi.subscriptions.consumers import SubscriptionConsumer
from tests.fhirapi.subscriptions.conftest import committed
from tests.websocket_client import WebsocketCommunicator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_memory_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def websocket_subscription(criteria: str = "Patient?family=Socket", *, owner=None) -> str:
    resource = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "tests",
        "criteria": criteria,
        "channel": {"type": "websocket"},
    }
    repository = FhirRepository(actor=user_actor(owner)) if owner else FhirRepository()
    return committed(repository.create, resource).stored.resource_id


def socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(SubscriptionConsumer.as_asgi(), "/ws/fhir-subscriptions")
    communicator.scope["user"] = user
    return communicator


def test_bind_then_ping_on_each_notification(fhir_user):
    subscription_id = websocket_subscription()
    assert FhirRepository().read("Subscription", subscription_id).content["status"] == "active"

    def patient(family: str) -> None:
        committed(
            FhirRepository().create, {"resourceType": "Patient", "name": [{"family": family}]}
        )

    async def scenario():
        client = socket(fhir_user)
        assert (await client.connect())[0]
        await client.send_to(f"bind {subscription_id}")
        assert await client.receive_from() == f"bound {subscription_id}"
        await database_sync_to_async(patient)("Other")
        await database_sync_to_async(patient)("Socket")
        assert await client.receive_from() == f"ping {subscription_id}"
        await client.disconnect()

    async_to_sync(scenario)()


def test_only_websocket_subscriptions_can_be_bound(fhir_user):
    async def scenario():
        client = socket(fhir_user)
        await client.connect()
        await client.send_to("bind no-such-subscription")
        assert await client.receive_from() == "error no-such-subscription cannot be bound"
        await client.send_to("hello")
        assert (await client.receive_from()).startswith("error expected `bind")
        await client.disconnect()

    async_to_sync(scenario)()


def test_anonymous_clients_are_refused():
    async def scenario():
        client = socket(AnonymousUser())
        assert await client.connect() == (False, 4401)

    async_to_sync(scenario)()


def test_a_user_s_subscription_binds_to_that_user_only(fhir_user, administrator):
    subscription_id = websocket_subscription(owner=administrator)

    async def bind(user) -> str:
        client = socket(user)
        await client.connect()
        await client.send_to(f"bind {subscription_id}")
        answer = await client.receive_from()
        await client.disconnect()
        return answer

    assert async_to_sync(bind)(fhir_user) == f"error {subscription_id} cannot be bound"
    assert async_to_sync(bind)(administrator) == f"bound {subscription_id}"
