"""Websocket routes of the workspace (wired into wintehr/asgi.py)."""

from django.urls import path

from clinical.realtime.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
