import asyncio
import json
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import TestCase

from clinical.realtime.consumers import LiveConsumer
from clinical.realtime.log import topic_log
from clinical.realtime.topics import WatchedTopics
from fhirapi.services import FhirRepository
from tests.websocket_client import WebsocketCommunicator


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    """Consumers' database calls run on the test's connection, inside its transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


@pytest.fixture(autouse=True)
def in_memory_realtime(settings):
    """Consumer tests run on the in-memory layer and log (the Redis test has its own servers)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.REDIS_URL = None
    channel_layers.backends.clear()
    topic_log.cache_clear()
    WatchedTopics._panels.clear()
    yield
    channel_layers.backends.clear()
    topic_log.cache_clear()


def write(function: Callable, *args, **kwargs):
    """Run a store write from async test code, with its after-commit callbacks (the test's
    transaction never commits: the callbacks run when the write's own block ends)."""

    def run():
        with TestCase.captureOnCommitCallbacks(execute=True):
            return function(*args, **kwargs)

    return database_sync_to_async(run)()


class Live:
    """A browser tab's socket to /ws/live/, signed in as `user`."""

    def __init__(self, user) -> None:
        self.communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
        self.communicator.scope["user"] = user

    async def __aenter__(self) -> "Live":
        connected, _ = await self.communicator.connect()
        assert connected
        welcome = await self.receive()
        assert welcome["type"] == "welcome"
        return self

    async def __aexit__(self, *exc) -> None:
        await self.communicator.disconnect()

    async def send(self, **message) -> None:
        await self.communicator.send_json_to(message)

    async def receive(self, timeout: float = 1.0) -> dict:
        return await self.communicator.receive_json_from(timeout=timeout)

    async def subscribe(self, topic: str, since: int | None = None) -> dict:
        message = {"action": "subscribe", "topic": topic}
        if since is not None:
            message["since"] = since
        await self.send(**message)
        return await self.receive_type(("subscribed", "denied"))

    async def receive_type(self, types: tuple[str, ...], timeout: float = 1.0) -> dict:
        """The next message of one of `types`, skipping others (presence, say)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(timeout=max(0.01, deadline - loop.time()))
            if message["type"] in types:
                return message

    async def nothing(self, timeout: float = 0.3) -> bool:
        """True when no message but presence comes within `timeout` (polling: a timed-out
        receive would cancel the consumer)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not self.communicator.output_queue.empty():
                message = await self.receive()
                if message["type"] != "presence":
                    raise AssertionError(f"unexpected message {message}")
            await asyncio.sleep(0.02)
        return True


def new_patient(family: str = "Chalmers") -> str:
    resource = {"resourceType": "Patient", "name": [{"family": family}], "gender": "female"}
    return FhirRepository().create(resource).stored.resource_id


def new_observation(patient_id: str, value: float = 120.0) -> str:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "valueQuantity": {"value": value, "unit": "mmHg"},
    }
    return FhirRepository().create(resource).stored.resource_id


def dumps(message: dict) -> str:
    return json.dumps(message)
