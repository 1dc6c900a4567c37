"""The audit trail in the admin: read-only (no add, change or delete for anyone), filtered by
user, patient and date."""

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from fhirapi.audit.models import AuditRecord


class TextInputFilter(admin.SimpleListFilter):
    """An exact-match filter typed into a box: the distinct values are far too many to list."""

    template = "admin/audit/text_filter.html"
    field = ""

    def lookups(self, request, model_admin):
        return [("", "")]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.field: value.strip()}) if value else queryset

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, values in changelist.get_filters_params().items()
            if name != self.parameter_name
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {"parameter": self.parameter_name, "value": self.value() or "", "kept": kept}


class UserFilter(TextInputFilter):
    title = parameter_name = field = "username"


class PatientFilter(TextInputFilter):
    title = "patient id"
    parameter_name = field = "patient_id"


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = [
        "recorded_at",
        "username",
        "subtype",
        "resource_type",
        "resource_id",
        "patient_id",
        "outcome",
        "source_ip",
    ]
    list_filter = [UserFilter, PatientFilter, "recorded_at", "subtype", "outcome"]
    date_hierarchy = "recorded_at"
    show_full_result_count = False
    fields = [*list_display, "client_id", "action", "request_id", "audit_event"]
    readonly_fields = fields

    @admin.display(description="AuditEvent")
    def audit_event(self, record: AuditRecord) -> str:
        return format_html("<pre>{}</pre>", json.dumps(record.content, indent=2))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
