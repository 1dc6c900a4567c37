"""A remote PACS reached over DICOMweb (QIDO-RS to search, WADO-RS to pull studies in)."""

from django.db import models


class RemotePacs(models.Model):
    name = models.CharField(max_length=64, unique=True)
    base_url = models.URLField(
        max_length=500, help_text="The DICOMweb root, e.g. https://pacs.example.org/dicom-web"
    )
    username = models.CharField(max_length=150, blank=True, help_text="For HTTP basic auth")
    password = models.CharField(max_length=256, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "remote PACS"
        verbose_name_plural = "remote PACS"

    def __str__(self) -> str:
        return self.name
