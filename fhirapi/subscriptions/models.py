from django.conf import settings
from django.db import models


class SubscriptionChannel(models.Model):
    """A Subscription resource that gets notifications (status active or error), as the
    deliveries need it; rewritten whenever the resource changes, removed when it is off or gone."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        ERROR = "error"

    subscription_id = models.CharField(max_length=64, primary_key=True)
    resource_type = models.CharField(max_length=64, db_index=True)
    criteria = models.TextField()  # the query after `Type?`
    channel_type = models.CharField(max_length=16)  # rest-hook or websocket
    endpoint = models.TextField(blank=True)
    payload = models.CharField(max_length=64, blank=True)  # empty: notification without body
    headers = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status.choices)
    failures = models.IntegerField(default=0)  # consecutive failed delivery attempts
    last_error = models.TextField(blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)  # the last attempt's time

    def __str__(self) -> str:
        return f"Subscription/{self.subscription_id} ({self.resource_type}, {self.status})"


class PendingNotification(models.Model):
    """A rest-hook notification whose retries ran out; the periodic `subscriptions_retry` job
    (tasks.py) tries it again until it is delivered or FHIR_SUBSCRIPTION_RETRY_HOURS old. One per
    resource: a later failed change of the same resource replaces it."""

    channel = models.ForeignKey(SubscriptionChannel, on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    version_id = models.IntegerField()
    failed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "resource_type", "resource_id"], name="pending_once_per_resource"
            )
        ]
        indexes = [models.Index(fields=["failed_at"])]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version_id}"


class SubscriptionOwner(models.Model):
    """Who a Subscription's notifications are evaluated for: the last person or client that
    wrote it (the server's own status changes keep the owner), with what their token granted.
    No user: a Subscription the server itself wrote (an import). Without a row, nothing goes out."""

    subscription_id = models.CharField(max_length=64, primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    grant = models.JSONField(default=dict, blank=True)  # fhirapi.smart.authentication.actor_grant

    def __str__(self) -> str:
        return f"Subscription/{self.subscription_id} of {self.owner or 'the server'}"
