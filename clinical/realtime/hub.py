"""Fan-out inside one server process: the process follows each topic once, however many tabs of
it follow the topic.

The hub joins a topic's channel layer group with one channel of its own when the first local
socket subscribes, and leaves it when the last one goes. Each change then crosses the channel
layer once per process (not once per socket), is permission-checked once for all the local
followers together (topics.message_recipients: a few queries, whatever their number), encoded
once, and the same text is written to every socket allowed to see it. Messages are handled one
after another, in the order the layer delivers them. A write does not wait for the browser (the
server buffers it), so a stalled tab holds up nobody else.
"""

import asyncio
import json
import weakref
from typing import Protocol

import structlog
from channels.db import database_sync_to_async

from clinical.realtime.topics import Topic, User, followers_allowed, message_recipients

logger = structlog.get_logger(__name__)

RENEW_SECONDS = 3600


class Follower(Protocol):
    """What the hub needs of a socket (clinical.realtime.consumers.LiveConsumer)."""

    user: User

    async def relay(self, topic: str, text: str) -> None:
        """Write an encoded message of the topic to the socket (if it still follows the topic)."""

    async def topic_closed(self, topic: Topic) -> None:
        """The user may no longer follow the topic."""


class LiveHub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel = ""
        self.followers: dict[str, dict[Follower, Topic]] = {}  # topic name -> its local sockets
        self.receiving: asyncio.Task | None = None
        self.joining = asyncio.Lock()  # a leave and a join of one topic never cross in the layer
        self.closings: set[asyncio.Task] = set()

    async def follow(self, topic: Topic, follower: Follower) -> None:
        async with self.joining:
            if not self.channel:
                self.channel = await self.layer.new_channel()
            local = self.followers.setdefault(topic.name, {})
            if not local:
                await self.layer.group_add(topic.group, self.channel)
            local[follower] = topic
            if self.receiving is None or self.receiving.done():
                self.receiving = asyncio.create_task(self._run())

    async def unfollow(self, topic: Topic, follower: Follower) -> None:
        async with self.joining:
            local = self.followers.get(topic.name, {})
            if local.pop(follower, None) is None or local:
                return
            del self.followers[topic.name]
            await self.layer.group_discard(topic.group, self.channel)
            if not self.followers and self.receiving is not None:
                self.receiving.cancel()
                self.receiving = None

    async def _run(self) -> None:
        await asyncio.gather(self._receive(), self._renew())

    async def _receive(self) -> None:
        while True:
            try:
                await self.dispatch(await self.layer.receive(self.channel))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a lost Redis connection, say: go on listening
                logger.error("realtime hub", error=repr(exc))
                await asyncio.sleep(1)

    async def _renew(self) -> None:
        """Group memberships expire in the layer (after a day): renew those of followed topics."""
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            for local in list(self.followers.values()):
                topic = next(iter(local.values()), None)
                try:
                    if topic is not None:
                        await self.layer.group_add(topic.group, self.channel)
                except Exception as exc:  # Redis away: next time
                    logger.error("realtime hub renewal", error=repr(exc))

    async def dispatch(self, event: dict) -> None:
        message = event.get("message") or {}
        local = dict(self.followers.get(message.get("topic"), {}))
        if not local:
            return
        topic = next(iter(local.values()))
        users = list({follower.user.pk: follower.user for follower in local}.values())
        if event.get("type") == "live.change":
            following, allowed = await database_sync_to_async(message_recipients)(
                users=users, topic=topic, patient_ids=event.get("patients", ())
            )
        else:  # live.presence
            following = allowed = await database_sync_to_async(followers_allowed)(
                users=users, topic=topic
            )
        text = json.dumps(message)
        for follower in local:
            try:
                if follower.user.pk in allowed:
                    await follower.relay(topic.name, text)
                elif follower.user.pk not in following:  # off this task: it may end the hub's
                    self._closing(follower.topic_closed(topic))
            except Exception as exc:  # the socket closed meanwhile: the others still get it
                logger.info("realtime relay failed", error=repr(exc))

    def _closing(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.closings.add(task)
        task.add_done_callback(self.closings.discard)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveHub] = weakref.WeakKeyDictionary()


def live_hub(layer) -> LiveHub:
    """This event loop's hub on this channel layer."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        hub = _hubs[loop] = LiveHub(layer)
    return hub
