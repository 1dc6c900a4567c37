"""Studies whose patient could not be matched with certainty wait here until a person assigns one;
a study is never attached to a patient by a guess."""

from django.conf import settings
from django.db import models

from imaging.models.index import Study


class StudyReconciliation(models.Model):
    class Reason(models.TextChoices):
        NO_PATIENT_ID = "no-patient-id", "The study carries no PatientID"
        NO_MATCH = "no-match", "No patient has this identifier"
        AMBIGUOUS = "ambiguous", "Several patients have this identifier"
        NAME_DIFFERS = "name-differs", "The patient with this identifier has another name"

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="reconciliation")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["resolved_at", "opened_at"], name="imaging_recon_open")]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "open"
        return f"{self.study} — {self.get_reason_display()} ({state})"
