from django.conf import settings
from django.db import models


class IssuedCard(models.Model):
    """A card one of our services returned (who issued it, for which hook call, which rule
    version; feedback on the card's uuid finds its service and rule through it), or a card of an
    external `provider` shown in the workspace (its own uuid is not unique: ours is made up)."""

    uuid = models.UUIDField(primary_key=True)
    service_id = models.CharField(max_length=200, db_index=True)
    provider = models.ForeignKey(
        "cds.ExternalCdsService", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rule_version = models.ForeignKey(
        "cds.RuleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="cards"
    )
    hook = models.CharField(max_length=100)
    hook_instance = models.CharField(max_length=100)
    patient_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=200)
    indicator = models.CharField(max_length=20)
    issued_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.service_id}: {self.summary}"


class CardFeedback(models.Model):
    """One feedback item a CDS client sent for one of our cards (CDS Hooks feedback endpoint),
    or that our workspace sent to an external `provider`'s service (kept here as well)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted"
        OVERRIDDEN = "overridden"

    service_id = models.CharField(max_length=200, db_index=True)
    card_uuid = models.CharField(max_length=100, db_index=True)
    card = models.ForeignKey(
        IssuedCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    rule = models.ForeignKey(
        "cds.Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    provider = models.ForeignKey(
        "cds.ExternalCdsService", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    accepted_suggestions = models.JSONField(default=list, blank=True)
    override_reason = models.JSONField(null=True, blank=True, help_text="The reason Coding")
    user_comment = models.TextField(blank=True)
    outcome_timestamp = models.DateTimeField()
    client = models.ForeignKey(
        "cds.CdsClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.service_id} {self.card_uuid}: {self.outcome}"
