"""Bulk jobs: an export's request, progress and files (Bulk Data `$export`), and an import's
sources, progress and per-file results (`$import`, the admin's upload, `import_fhir`)."""

import uuid

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class ExportJob(models.Model):
    class Level(models.TextChoices):
        SYSTEM = "system"
        PATIENT = "patient"
        GROUP = "group"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request_url = models.TextField(help_text="The kick-off request, as the manifest repeats it")
    base_url = models.TextField(help_text="The FHIR base the files' URLs are built on")
    level = models.CharField(max_length=8, choices=Level.choices)
    group_id = models.CharField(max_length=64, blank=True)
    types = models.JSONField(default=list, blank=True, help_text="Resource types; empty: all")
    since = models.DateTimeField(null=True, blank=True)
    members = models.JSONField(default=list, blank=True, help_text="The Group's Patient ids")
    type_filters = models.JSONField(default=dict, blank=True, help_text="type -> [queries]")
    grant = models.JSONField(
        default=dict,
        blank=True,
        help_text="The requester's SMART token grant (empty: their own rights)",
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    transaction_time = models.DateTimeField()
    resources_done = models.PositiveBigIntegerField(default=0)
    current_type = models.CharField(max_length=64, blank=True)
    output = models.JSONField(default=list, blank=True, help_text="[{type, file, count}]")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.level} export {self.id} ({self.status})"


class ImportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    upload = models.FileField(
        upload_to="imports/",
        blank=True,
        help_text="A Synthea Bundle (.json), NDJSON, or a .zip / .tar.gz of them",
    )
    paths = models.JSONField(
        default=list, blank=True, help_text="Server-side files ($import's file: URLs)"
    )
    request_url = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    resources_done = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    current_file = models.CharField(max_length=500, blank=True)
    results = models.JSONField(
        default=list, blank=True, help_text="[{name, resources, seconds, status}]"
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.COMPLETED:
            return 100
        return int(100 * self.bytes_done / self.bytes_total) if self.bytes_total else 0
