"""The audit trail: one row per access to patient data or security event, each holding the FHIR
AuditEvent it stands for, beside indexed copies of the fields that searches filter on.

The table is append-only. The application never updates or deletes a row (the admin is read-only)
and a PostgreSQL trigger (migration 0002) refuses UPDATE and DELETE from anyone. The one escape,
for the retention purge that a later release brings, is a transaction that first runs
`SET LOCAL wintehr.audit_purge = 'on'`: the trigger then lets DELETE (never UPDATE) through, for
that transaction only. TRUNCATE is not guarded (test-database flushes need it); the application
never issues it.
"""

from django.db import models


class AuditRecord(models.Model):
    class Action(models.TextChoices):
        CREATE = "C"
        READ = "R"
        UPDATE = "U"
        DELETE = "D"
        EXECUTE = "E"

    class Outcome(models.TextChoices):
        SUCCESS = "0"
        MINOR_FAILURE = "4"
        SERIOUS_FAILURE = "8"
        MAJOR_FAILURE = "12"

    recorded_at = models.DateTimeField()
    username = models.CharField(max_length=150, blank=True)  # empty: an anonymous request
    client_id = models.CharField(max_length=100, blank=True)  # the OAuth client, if any
    patient_id = models.CharField(max_length=64, blank=True)  # the patient whose data it was
    action = models.CharField(max_length=1, choices=Action.choices)
    subtype = models.CharField(max_length=64)  # read, search-type, login, break-glass, ...
    resource_type = models.CharField(max_length=64, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=2, choices=Outcome.choices)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    content = models.JSONField()  # the AuditEvent, without id and meta (added when read)

    class Meta:
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["recorded_at"], name="audit_recorded"),
            models.Index(fields=["username", "recorded_at"], name="audit_user_recorded"),
            models.Index(fields=["patient_id", "recorded_at"], name="audit_patient_recorded"),
            models.Index(fields=["client_id", "recorded_at"], name="audit_client_recorded"),
            models.Index(fields=["resource_type", "resource_id"], name="audit_entity"),
            models.Index(fields=["action", "outcome", "recorded_at"], name="audit_action_outcome"),
        ]

    def __str__(self) -> str:
        who = self.username or "anonymous"
        return f"{self.recorded_at:%Y-%m-%d %H:%M:%S} {who} {self.subtype} {self.outcome}"
