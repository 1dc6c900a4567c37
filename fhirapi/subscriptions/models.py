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

    def __str__(self) -> str:
        return f"Subscription/{self.subscription_id} ({self.resource_type}, {self.status})"
