"""The R4 websocket channel: `bind <id>` → `bound <id>`, then `ping <id>` per notification.

Only signed-in users (browser session, or `Authorization: Bearer <token>` of `issue_token` or a
SMART access token) may bind, to their own subscriptions (or the server's); the binding is
re-checked before every ping (the user still active, the subscription still theirs and on the
websocket channel). Pings follow the matches the owner may see (services.subscription_matches)."""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model

from fhirapi.subscriptions.services import bindable, websocket_group
from wintehr.channel_send import bind_server_loop

MAX_BINDINGS = 50
CLOSE_UNAUTHENTICATED = 4401


class SubscriptionConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        bind_server_loop(asyncio.get_running_loop())
        self.user_pk = user.pk
        self.bound: set[str] = set()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for subscription_id in getattr(self, "bound", ()):
            await self.channel_layer.group_discard(
                websocket_group(subscription_id), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        command, _, subscription_id = (text_data or "").strip().partition(" ")
        subscription_id = subscription_id.strip()
        if command != "bind" or not subscription_id:
            await self.send("error expected `bind <subscription id>`")
            return
        if len(self.bound) >= MAX_BINDINGS or not await self._may_bind(subscription_id):
            await self.send(f"error {subscription_id} cannot be bound")
            return
        await self.channel_layer.group_add(websocket_group(subscription_id), self.channel_name)
        self.bound.add(subscription_id)
        await self.send(f"bound {subscription_id}")

    async def subscription_ping(self, event: dict) -> None:
        subscription_id = event["subscription_id"]
        if subscription_id in self.bound and await self._may_bind(subscription_id):
            await self.send(f"ping {subscription_id}")

    @database_sync_to_async
    def _may_bind(self, subscription_id: str) -> bool:
        active = get_user_model().objects.filter(pk=self.user_pk, is_active=True).exists()
        return active and bindable(subscription_id=subscription_id, user_id=self.user_pk)
