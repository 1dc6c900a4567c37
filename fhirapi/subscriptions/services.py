"""Subscriptions, step by step: keep the channel index in step with the Subscription resources
(activating requested ones), find which subscriptions a committed transaction concerns, deliver,
and record each delivery's outcome (status `error` after repeated failures, `active` again after
a success). The rest-hook HTTP call is in delivery.py, its retries in tasks.py."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.errors import FhirError, ResourceGone, ResourceNotFound, VersionConflict
from fhirapi.services import SYSTEM, Actor, FhirRepository, user_actor
from fhirapi.smart.authentication import actor_grant, granted_actor
from fhirapi.smart.policy import FULL_ACCESS
from fhirapi.store.events import ResourceChanged
from fhirapi.store.resource_types import is_resource_type
from fhirapi.subscriptions.delivery import DeliveryFailed, rest_hook_send
from fhirapi.subscriptions.models import (
    PendingNotification,
    SubscriptionChannel,
    SubscriptionOwner,
)
from wintehr.channel_send import group_send_all

logger = structlog.get_logger(__name__)

REST_HOOK = "rest-hook"
WEBSOCKET = "websocket"
JSON_PAYLOADS = frozenset({"application/fhir+json", "application/json", "application/json+fhir"})
MATCH_CHUNK = 200  # resource ids per matching search
RETRY_BATCH = 500  # parked notifications tried per run of the periodic retry job


def websocket_group(subscription_id: str) -> str:
    return f"fhir-subscription.{subscription_id}"


# -- the change subscriber -----------------------------------------------------------------------


def changes_notify(events: list[ResourceChanged]) -> None:
    """The store's batch subscriber (registered in apps.py), after commit."""
    for event in events:
        if event.resource_type == "Subscription":
            subscription_sync(subscription_id=event.resource_id, author=event.author)
    changed = [e for e in events if e.action != "delete"]
    types = {e.resource_type for e in changed}
    if not types:
        return
    for channel in SubscriptionChannel.objects.filter(resource_type__in=types):
        candidates = [e for e in changed if e.resource_type == channel.resource_type]
        for event in subscription_matches(channel=channel, events=candidates):
            notification_send(channel=channel, event=event)


def subscription_matches(
    *, channel: SubscriptionChannel, events: list[ResourceChanged]
) -> list[ResourceChanged]:
    """The events whose resource matches the subscription's criteria (as it is now) and its
    owner may see (role, restricted charts, their token's scopes: as their search would)."""
    owner = subscription_owner_actor(subscription_id=channel.subscription_id)
    if owner is None:
        return []
    latest = {e.resource_id: e for e in events}  # the last change of each resource
    ids = list(latest)
    matched: list[ResourceChanged] = []
    repository = FhirRepository()
    for start in range(0, len(ids), MATCH_CHUNK):
        chunk = ids[start : start + MATCH_CHUNK]
        query = "&".join(p for p in (channel.criteria, f"_id={','.join(chunk)}") if p)
        try:
            found = repository.match(channel.resource_type, query, limit=None)
        except FhirError as exc:  # the criteria parsed at activation; a registry change since?
            logger.warning("subscription criteria failed", subscription=channel.pk, error=str(exc))
            return matched
        matched += [latest[s.resource_id] for s in found if owner.policy.sees(s.content)]
    return matched


def notification_send(*, channel: SubscriptionChannel, event: ResourceChanged) -> None:
    if channel.channel_type == WEBSOCKET:
        SubscriptionChannel.objects.filter(pk=channel.pk).update(last_delivery_at=timezone.now())
        group_send_all(
            [
                (
                    websocket_group(channel.subscription_id),
                    {"type": "subscription.ping", "subscription_id": channel.subscription_id},
                )
            ]
        )
        return
    from fhirapi.subscriptions.tasks import rest_hook_notify

    rest_hook_notify.delay(
        channel.subscription_id, event.resource_type, event.resource_id, event.version_id
    )


# -- the channel index ---------------------------------------------------------------------------


def subscription_sync(*, subscription_id: str, author: Actor | None = None) -> None:
    """Bring the index in step with the Subscription resource: record who wrote it (`author`,
    its owner), activate a requested one (a new version, whose own change event indexes it),
    index an active or errored one, drop the rest."""
    repository = FhirRepository()
    try:
        stored = repository.read("Subscription", subscription_id)
    except (ResourceNotFound, ResourceGone):
        SubscriptionChannel.objects.filter(pk=subscription_id).delete()
        SubscriptionOwner.objects.filter(pk=subscription_id).delete()
        return
    subscription_owner_record(subscription_id=subscription_id, author=author)
    content = stored.content
    status = content.get("status")
    if status == "requested":
        problem = subscription_problem(content)
        _status_write(
            subscription_id,
            "error" if problem else "active",
            problem,
            if_match=stored.version_id,
        )
        return
    if status not in (SubscriptionChannel.Status.ACTIVE, SubscriptionChannel.Status.ERROR):
        SubscriptionChannel.objects.filter(pk=subscription_id).delete()
        return
    if subscription_problem(content):  # changed into something unusable: not delivered
        SubscriptionChannel.objects.filter(pk=subscription_id).delete()
        return
    channel = content["channel"]
    resource_type, _, criteria = content["criteria"].partition("?")
    SubscriptionChannel.objects.update_or_create(
        subscription_id=subscription_id,
        defaults={
            "resource_type": resource_type,
            "criteria": criteria,
            "channel_type": channel["type"],
            "endpoint": channel.get("endpoint", ""),
            "payload": channel.get("payload", ""),
            "headers": list(channel.get("header") or []),
            "status": status,
        },
    )


def subscription_owner_record(*, subscription_id: str, author: Actor | None) -> None:
    """A person or client writing a Subscription owns it; the server's own writes (the status
    it sets, imports) leave the owner as it is, and own the Subscriptions nobody else wrote."""
    if author is None or author.policy is FULL_ACCESS:
        SubscriptionOwner.objects.get_or_create(subscription_id=subscription_id)
        return
    users = get_user_model().objects
    user = users.filter(**{users.model.USERNAME_FIELD: author.username}).first()
    if user is None:  # no account to act as: nobody owns it, nothing is delivered
        SubscriptionOwner.objects.filter(pk=subscription_id).delete()
        return
    SubscriptionOwner.objects.update_or_create(
        subscription_id=subscription_id, defaults={"owner": user, "grant": actor_grant(author)}
    )


def subscription_owner_actor(*, subscription_id: str) -> Actor | None:
    """The actor the Subscription's notifications are evaluated as: its owner, as they are
    now (the server for its own); None when it has no owner able to act (none recorded, or the
    owner was deactivated): then nothing is delivered."""
    row = SubscriptionOwner.objects.select_related("owner").filter(pk=subscription_id).first()
    if row is None:
        return None
    if row.owner_id is None:
        return SYSTEM
    if not row.owner.is_active:
        return None
    return granted_actor(row.owner, row.grant)


def subscription_problem(content: dict[str, Any]) -> str | None:
    """Why the Subscription cannot be served, or None when it can."""
    criteria = content.get("criteria")
    if not isinstance(criteria, str) or not criteria:
        return "criteria is missing"
    resource_type, _, query = criteria.partition("?")
    if not is_resource_type(resource_type):
        return f"criteria: {resource_type!r} is not a resource type"
    try:
        FhirRepository().match(resource_type, "&".join(p for p in (query, "_id=-") if p), limit=1)
    except FhirError as exc:
        return f"criteria: {exc}"
    channel = content.get("channel") or {}
    kind = channel.get("type")
    if kind not in (REST_HOOK, WEBSOCKET):
        return f"channel.type {kind!r} is not supported (rest-hook, websocket)"
    payload = channel.get("payload")
    if payload and payload.split(";")[0].strip() not in JSON_PAYLOADS:
        return f"channel.payload {payload!r} is not supported (application/fhir+json)"
    if kind == REST_HOOK:
        endpoint = urlsplit(channel.get("endpoint") or "")
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            return "channel.endpoint must be an http(s) URL"
    for line in channel.get("header") or []:
        if not isinstance(line, str) or ":" not in line:
            return f"channel.header {line!r} is not `Name: value`"
    return None


def _status_write(
    subscription_id: str, status: str, error: str | None, *, if_match: int | None = None
) -> None:
    """Set Subscription.status (and .error) as the system; a concurrent change wins."""
    repository = FhirRepository()
    try:
        stored = repository.read("Subscription", subscription_id)
        content = dict(stored.content)
        if content.get("status") == status and content.get("error") == error:
            return
        content["status"] = status
        if error:
            content["error"] = error[:1000]
        else:
            content.pop("error", None)
        repository.update(
            "Subscription", subscription_id, content, if_match=if_match or stored.version_id
        )
    except (ResourceNotFound, ResourceGone, VersionConflict):
        return  # deleted or changed meanwhile: its own change event has resynced the index


# -- deliveries ----------------------------------------------------------------------------------


def rest_hook_deliver(
    *, subscription_id: str, resource_type: str, resource_id: str, version_id: int
) -> bool:
    """One attempt; records the outcome. False when it failed (the task then retries)."""
    channel = SubscriptionChannel.objects.filter(pk=subscription_id).first()
    if channel is None or channel.channel_type != REST_HOOK:
        return True  # switched off or changed since: nothing to deliver
    owner = subscription_owner_actor(subscription_id=subscription_id)
    if owner is None:
        return True  # nobody to deliver for
    try:  # as the owner, now: a chart closed to them since the match is not announced
        resource = FhirRepository(actor=owner).vread(resource_type, resource_id, version_id)
    except FhirError:
        return True  # that version is gone (deleted history), or hidden from the owner
    try:
        rest_hook_send(
            endpoint=channel.endpoint,
            payload=channel.payload,
            header_lines=channel.headers,
            resource=resource.content if channel.payload else None,
            timeout=settings.FHIR_SUBSCRIPTION_TIMEOUT_SECONDS,
        )
    except DeliveryFailed as exc:
        delivery_record(subscription_id=subscription_id, error=str(exc))
        return False
    delivery_record(subscription_id=subscription_id, error=None)
    return True


@transaction.atomic
def delivery_record(*, subscription_id: str, error: str | None) -> None:
    """Count consecutive failures; `error` status at the limit, `active` after a success."""
    channel = SubscriptionChannel.objects.select_for_update().filter(pk=subscription_id).first()
    if channel is None:
        return
    channel.last_delivery_at = timezone.now()
    if error is None:
        recovering = channel.status == SubscriptionChannel.Status.ERROR
        channel.failures, channel.last_error = 0, ""
        channel.status = SubscriptionChannel.Status.ACTIVE
        channel.save(update_fields=["failures", "last_error", "status", "last_delivery_at"])
        if recovering:
            _status_write(subscription_id, "active", None)
        return
    channel.failures += 1
    channel.last_error = error
    limit = settings.FHIR_SUBSCRIPTION_MAX_FAILURES
    reaching = channel.failures >= limit and channel.status == SubscriptionChannel.Status.ACTIVE
    if reaching:
        channel.status = SubscriptionChannel.Status.ERROR
    channel.save(update_fields=["failures", "last_error", "status", "last_delivery_at"])
    if reaching:
        _status_write(subscription_id, "error", f"{channel.failures} deliveries failed; {error}")


# -- notifications whose retries ran out ---------------------------------------------------------


@dataclass(frozen=True)
class RetrySummary:
    delivered: int
    failed: int
    dropped: int  # older than FHIR_SUBSCRIPTION_RETRY_HOURS: given up


def notification_park(
    *, subscription_id: str, resource_type: str, resource_id: str, version_id: int
) -> None:
    """Keep a notification whose retries ran out for the periodic retry job (the latest version
    of each resource); nothing when the subscription has stopped getting notifications."""
    if not SubscriptionChannel.objects.filter(pk=subscription_id).exists():
        return
    PendingNotification.objects.update_or_create(
        channel_id=subscription_id,
        resource_type=resource_type,
        resource_id=resource_id,
        defaults={"version_id": version_id, "failed_at": timezone.now()},
    )


def pending_notifications_retry(*, now: datetime | None = None) -> RetrySummary:
    """One attempt at each parked notification, oldest first; a subscription whose attempt fails
    is not tried again in this run. Those older than FHIR_SUBSCRIPTION_RETRY_HOURS are dropped."""
    horizon = (now or timezone.now()) - timedelta(hours=settings.FHIR_SUBSCRIPTION_RETRY_HOURS)
    dropped, _ = PendingNotification.objects.filter(failed_at__lt=horizon).delete()
    delivered, unreachable = 0, set()
    for pending in PendingNotification.objects.order_by("failed_at", "pk")[:RETRY_BATCH]:
        if pending.channel_id in unreachable:
            continue
        if not rest_hook_deliver(
            subscription_id=pending.channel_id,
            resource_type=pending.resource_type,
            resource_id=pending.resource_id,
            version_id=pending.version_id,
        ):
            unreachable.add(pending.channel_id)
            continue
        delivered += 1  # a newer failed version parked meanwhile stays
        PendingNotification.objects.filter(pk=pending.pk, version_id=pending.version_id).delete()
    return RetrySummary(delivered=delivered, failed=len(unreachable), dropped=dropped)


# -- the administrator's switch ------------------------------------------------------------------


@transaction.atomic
def subscription_switch(
    *, subscription_id: str, active: bool, acting_user: AbstractBaseUser
) -> str:
    """Deactivate (status `off`) or reactivate (status `requested`, checked and activated again
    after commit) a Subscription, as the acting user through the FHIR service API; audited as an
    update. Raises ResourceNotFound, ResourceGone or VersionConflict; returns the status set."""
    username = acting_user.get_username()
    repository = FhirRepository(actor=user_actor(acting_user))
    stored = repository.read("Subscription", subscription_id)
    content = dict(stored.content)
    content["status"] = "requested" if active else "off"
    content.pop("error", None)
    repository.update("Subscription", subscription_id, content, if_match=stored.version_id)
    audit_record(
        kind=REST_KINDS["update"],
        username=username,
        resource_type="Subscription",
        resource_id=subscription_id,
        description=f"admin: subscription {'reactivated' if active else 'deactivated'}",
    )
    return content["status"]


def bindable(*, subscription_id: str, user_id: int) -> bool:
    """Can the user's websocket bind to this subscription: it uses the websocket channel, and
    it is theirs (or the server's own)?"""
    owned = Q(owner_id=user_id) | Q(owner__isnull=True)
    return (
        SubscriptionChannel.objects.filter(pk=subscription_id, channel_type=WEBSOCKET).exists()
        and SubscriptionOwner.objects.filter(owned, pk=subscription_id).exists()
    )
