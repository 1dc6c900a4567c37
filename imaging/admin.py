from django.contrib import admin
from django.db import models

from imaging.models import RemotePacs, Study, StudyReconciliation


@admin.register(RemotePacs)
class RemotePacsAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "base_url", "enabled"]
    list_filter = ["enabled"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    """Read-only: studies come in by upload, STOW-RS or PACS pull."""

    list_display = [
        "study_instance_uid",
        "patient_name",
        "patient_id",
        "study_date",
        "patient_fhir_id",
    ]
    search_fields = ["study_instance_uid", "patient_id", "patient_name", "accession_number"]
    date_hierarchy = "study_date"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StudyReconciliation)
class StudyReconciliationAdmin(admin.ModelAdmin):
    list_display = ["study", "reason", "opened_at", "resolved_at", "resolved_by"]
    list_filter = ["reason", "resolved_at"]
    readonly_fields = ["study", "reason", "opened_at", "resolved_at", "resolved_by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
