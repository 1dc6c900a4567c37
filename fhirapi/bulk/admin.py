"""Imports started from the admin (upload a Synthea bundle, NDJSON, .zip or .tar.gz; a Celery task
imports it, and the list shows its progress), and the exports clients have asked for."""

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from fhirapi.bulk import services
from fhirapi.bulk.models import ExportJob, ImportJob

IMPORT_SHOWN = (
    "status",
    "owner",
    "paths",
    "request_url",
    "bytes_total",
    "bytes_done",
    "resources_done",
    "errors",
    "current_file",
    "message",
    "results",
    "created_at",
    "started_at",
    "finished_at",
)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "source",
        "status",
        "progress",
        "resources_done",
        "errors",
        "current_file",
        "owner",
        "finished_at",
    )
    list_filter = ("status",)

    def get_form(self, request: HttpRequest, obj: ImportJob | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.base_fields["upload"].required = True
        return form

    def get_fields(self, request: HttpRequest, obj: ImportJob | None = None):
        return ("upload",) if obj is None else ("upload", *IMPORT_SHOWN)

    def get_readonly_fields(self, request: HttpRequest, obj: ImportJob | None = None):
        return () if obj is None else ("upload", *IMPORT_SHOWN)

    @admin.display(description="source")
    def source(self, job: ImportJob) -> str:
        names = [job.upload.name] if job.upload else []
        return ", ".join(names + list(job.paths))[:80]

    @admin.display(description="progress")
    def progress(self, job: ImportJob) -> str:
        return f"{job.percent}%"

    def save_model(self, request: HttpRequest, obj: ImportJob, form, change: bool) -> None:
        if change:
            return
        obj.owner = request.user
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.import_job_queue(job=obj)


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "level",
        "status",
        "resources_done",
        "current_type",
        "owner",
        "expires_at",
    )
    list_filter = ("status", "level")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ExportJob | None = None) -> bool:
        return False
