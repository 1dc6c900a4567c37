"""The `/ws/live/` consumer: one socket per browser tab, following the topics its page shows.

It relays and checks, nothing more: permission when a topic is subscribed and again for every
message (the process's hub, hub.py, receives each change once and decides for all its sockets
together; topics.message_recipients), catch-up from the topic log on reconnect, and presence on
chart and note-edit topics. The user and their session are read again every heartbeat, so a
sign-out, a deactivated account or a changed role stops the flow within REALTIME_HEARTBEAT_SECONDS
at most (and every message already re-checks chart restrictions, care teams and glass breaks).

Protocol (JSON text frames); see clinical/realtime/README.md for the page side.
    ← {"type": "welcome", "username": ...}            on connect: who the socket belongs to
    → {"action": "subscribe", "topic": "chart:123", "since": 1746000000000017}   since: optional
    → {"action": "unsubscribe", "topic": "chart:123"}
    ← {"type": "subscribed", "topic": ..., "seq": N}
    ← {"type": "change", "topic": ..., "seq": N, "resourceType": ..., "id": ..., "versionId": ...,
       "action": "create" | "update" | "delete"}
    ← {"type": "reload", "topic": ..., "seq": N}      missed events are no longer kept: re-fetch
    ← {"type": "presence", "topic": ..., "viewers": [{"username": ..., "name": ...}], "total": N}
       viewers: the first publish.PRESENCE_NAMES by name; total: how many follow the topic
    ← {"type": "denied", "topic": ..., "reason": ...}
"""

import asyncio
from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model

from clinical.realtime import publish
from clinical.realtime.hub import live_hub
from clinical.realtime.log import topic_log
from clinical.realtime.publish import Viewer, change_message
from clinical.realtime.topics import Topic, message_allowed, topic_allowed, topic_parse
from wintehr import metrics
from wintehr.channel_send import bind_server_loop

MAX_TOPICS = 50
CLOSE_UNAUTHENTICATED = 4401

_presence_due: set[str] = set()  # topics whose presence broadcast is scheduled in this process
PRESENCE_DEBOUNCE_SECONDS = 0.25


def _log_call(function):
    """The topic log off the event loop, on any thread (it needs no database connection)."""
    return sync_to_async(function, thread_sensitive=False)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        bind_server_loop(asyncio.get_running_loop())
        self.user = user
        self.topics: dict[str, Topic] = {}
        self.presence_member = ""
        await self.accept()
        metrics.websocket_connection_opened()
        await self.send_json({"type": "welcome", "username": user.get_username()})
        self.heartbeat = asyncio.create_task(self._heartbeat())

    async def disconnect(self, code: int) -> None:
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.cancel()
            metrics.websocket_connection_closed()
        for name in list(getattr(self, "topics", {})):
            await self._unsubscribe(name)

    async def receive_json(self, content: Any, **kwargs) -> None:
        if not isinstance(content, dict):
            return
        action, name = content.get("action"), content.get("topic")
        if action == "subscribe":
            since = content.get("since")
            await self._subscribe(name, since if isinstance(since, int) else None)
        elif action == "unsubscribe" and isinstance(name, str):
            await self._unsubscribe(name)

    # -- subscribing ---------------------------------------------------------------------------

    async def _subscribe(self, name: Any, since: int | None) -> None:
        topic = topic_parse(name)
        if topic is None:
            await self._deny(str(name)[:200], "unknown topic")
            return
        if topic.name not in self.topics and len(self.topics) >= MAX_TOPICS:
            await self._deny(topic.name, f"at most {MAX_TOPICS} topics per connection")
            return
        user = self.user
        if not await database_sync_to_async(topic_allowed)(user=user, topic=topic):
            await self._deny(topic.name, "forbidden")
            return
        self.topics[topic.name] = topic
        await live_hub(self.channel_layer).follow(topic, self)
        seq = (await _log_call(topic_log().watch)([topic.name]))[topic.name]
        await self.send_json({"type": "subscribed", "topic": topic.name, "seq": seq})
        if since is not None and since < seq:
            await self._catch_up(topic, since, seq)
        if topic.has_presence:
            await self._presence_join(topic)

    async def _catch_up(self, topic: Topic, since: int, seq: int) -> None:
        missed = await _log_call(topic_log().since)(topic.name, since)
        if missed is None:
            await self.send_json({"type": "reload", "topic": topic.name, "seq": seq})
            return
        for number, payload in missed:
            allowed = await database_sync_to_async(message_allowed)(
                user=self.user, topic=topic, patient_ids=payload.get("patients", ())
            )
            if allowed:
                await self.send_json(change_message(topic.name, number, payload))

    async def _unsubscribe(self, name: str) -> None:
        topic = self.topics.pop(name, None)
        if topic is None:
            return
        await live_hub(self.channel_layer).unfollow(topic, self)
        if topic.has_presence:
            await _log_call(topic_log().presence_leave)(topic.name, self._member())
            await self._presence_broadcast(topic)

    async def _deny(self, name: str, reason: str) -> None:
        await self.send_json({"type": "denied", "topic": name, "reason": reason})

    # -- from the hub ------------------------------------------------------------------------

    async def relay(self, topic: str, text: str) -> None:
        if topic in self.topics:  # not unsubscribed while the hub was deciding
            await self.send(text_data=text)

    async def topic_closed(self, topic: Topic) -> None:
        if topic.name in self.topics:
            await self._unsubscribe(topic.name)
            await self._deny(topic.name, "forbidden")

    # -- presence ------------------------------------------------------------------------------

    def _member(self) -> str:
        if not self.presence_member:
            name = self.user.get_full_name() or self.user.get_username()
            self.presence_member = f"{self.channel_name}|{self.user.get_username()}|{name}"
        return self.presence_member

    async def _presence_join(self, topic: Topic) -> None:
        await _log_call(topic_log().presence_join)(topic.name, self._member())
        await self._presence_broadcast(topic)

    async def _presence_broadcast(self, topic: Topic) -> None:
        """Tell the topic's followers who follows it, once for the joins and leaves of a
        quarter second in this process (500 tabs opening at once are not 500² messages)."""
        if topic.name in _presence_due:
            return
        _presence_due.add(topic.name)
        asyncio.get_running_loop().call_later(
            PRESENCE_DEBOUNCE_SECONDS,
            lambda: asyncio.ensure_future(self._presence_send(topic)),
        )

    async def _presence_send(self, topic: Topic) -> None:
        _presence_due.discard(topic.name)
        members = await _log_call(topic_log().presence_members)(topic.name)
        viewers: dict[str, Viewer] = {}
        for member in members:
            _, username, name = member.split("|", 2)
            viewers.setdefault(username, Viewer(username=username, name=name))
        group, message = publish.presence_message(topic.name, list(viewers.values()))
        await self.channel_layer.group_send(group, message)

    # -- heartbeat -----------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.REALTIME_HEARTBEAT_SECONDS)
            if not await database_sync_to_async(self._user_refresh)():
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            names = list(self.topics)
            await _log_call(topic_log().watch)(names)
            for name in names:
                topic = self.topics.get(name)
                if topic is None:
                    continue
                if not await database_sync_to_async(topic_allowed)(user=self.user, topic=topic):
                    await self._unsubscribe(name)
                    await self._deny(name, "forbidden")
                elif topic.has_presence:
                    await _log_call(topic_log().presence_join)(name, self._member())

    def _user_refresh(self) -> bool:
        """Read the user again (fresh permissions); False when signed out or deactivated."""
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        store = import_module(settings.SESSION_ENGINE).SessionStore
        if session is not None and (key is None or not store().exists(key)):
            return False
        fresh = get_user_model().objects.filter(pk=self.user.pk, is_active=True).first()
        if fresh is None:
            return False
        self.user = fresh
        return True
