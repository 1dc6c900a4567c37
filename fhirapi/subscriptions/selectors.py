"""The administrator's view of the FHIR Subscriptions: the Subscription resources, read through
FhirRepository as the admin (and audited as a search), beside what the deliveries recorded."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count

from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.services import FhirRepository, user_actor
from fhirapi.subscriptions.models import PendingNotification, SubscriptionChannel

OVERVIEW_LIMIT = 200
STATUSES = ("requested", "active", "error", "off")
AUDIT_DESCRIPTION = "admin: subscriptions"


@dataclass(frozen=True)
class SubscriptionRow:
    subscription_id: str
    status: str
    reason: str
    criteria: str
    channel_type: str
    endpoint: str
    error: str  # Subscription.error: why activation or deliveries failed
    failures: int  # consecutive failed delivery attempts
    last_delivery_at: datetime | None
    last_delivery_error: str
    pending: int  # notifications waiting for the periodic retry job

    @property
    def can_deactivate(self) -> bool:
        return self.status != "off"

    @property
    def can_reactivate(self) -> bool:
        return self.status in ("off", "error")


@dataclass(frozen=True)
class SubscriptionOverview:
    rows: list[SubscriptionRow]
    total: int | None


def subscriptions_overview(*, user: AbstractBaseUser, status: str = "") -> SubscriptionOverview:
    """The most recently changed subscriptions (OVERVIEW_LIMIT), optionally of one status."""
    params = [("_sort", "-_lastUpdated"), ("_count", str(OVERVIEW_LIMIT)), ("_total", "accurate")]
    if status in STATUSES:
        params.append(("status", status))
    repository = FhirRepository(actor=user_actor(user))
    bundle = repository.search_bundle("Subscription", params, base_url=settings.FHIR_BASE_URL)
    audit_record(
        kind=REST_KINDS["search-type"],
        username=user.get_username(),
        resource_type="Subscription",
        query="&".join(f"{name}={value}" for name, value in params),
        description=AUDIT_DESCRIPTION,
    )
    resources = [entry["resource"] for entry in bundle.get("entry", []) if "resource" in entry]
    ids = [resource["id"] for resource in resources]
    channels = SubscriptionChannel.objects.in_bulk(ids)
    pending = dict(
        PendingNotification.objects.filter(channel_id__in=ids)
        .values_list("channel_id")
        .annotate(count=Count("pk"))
    )
    rows = [_row(resource, channels.get(resource["id"]), pending) for resource in resources]
    return SubscriptionOverview(rows=rows, total=bundle.get("total"))


def _row(
    resource: dict[str, Any], channel: SubscriptionChannel | None, pending: dict[str, int]
) -> SubscriptionRow:
    declared = resource.get("channel") or {}
    return SubscriptionRow(
        subscription_id=resource["id"],
        status=resource.get("status", ""),
        reason=resource.get("reason", ""),
        criteria=resource.get("criteria", ""),
        channel_type=declared.get("type", ""),
        endpoint=declared.get("endpoint", ""),
        error=resource.get("error", ""),
        failures=channel.failures if channel else 0,
        last_delivery_at=channel.last_delivery_at if channel else None,
        last_delivery_error=channel.last_error if channel else "",
        pending=pending.get(resource["id"], 0),
    )
