from django.conf import settings
from django.db import models


class RestrictedChart(models.Model):
    """A chart (the FHIR Patient with this id) that only its care team may open: the users
    granted `open_restricted_chart` on this row (django-guardian object permission)."""

    patient_id = models.CharField(max_length=64, unique=True)
    restricted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    restricted_at = models.DateTimeField()

    class Meta:
        default_permissions = ("view",)
        permissions = [("open_restricted_chart", "Open this restricted chart (care team)")]

    def __str__(self) -> str:
        return f"Patient/{self.patient_id}"


class GlassBreak(models.Model):
    """Someone outside a restricted chart's care team opened it, for the reason they typed; the
    access lasts until expires_at. Rows are kept (PROTECT) as long as their user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="glass_breaks"
    )
    patient_id = models.CharField(max_length=64)
    reason = models.TextField()
    broken_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["user", "patient_id", "expires_at"], name="glass_user_patient"),
            models.Index(fields=["broken_at"], name="glass_broken_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user} opened Patient/{self.patient_id} at {self.broken_at:%Y-%m-%d %H:%M}"
