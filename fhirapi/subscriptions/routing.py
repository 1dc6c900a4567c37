"""Websocket routes of FHIR Subscriptions (wired into wintehr/asgi.py)."""

from django.urls import path

from fhirapi.subscriptions.auth import BearerTokenMiddleware
from fhirapi.subscriptions.consumers import SubscriptionConsumer

websocket_urlpatterns = [
    path("ws/fhir-subscriptions", BearerTokenMiddleware(SubscriptionConsumer.as_asgi())),
]
