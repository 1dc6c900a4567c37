from django.contrib import admin
from django.http import HttpRequest

from clinical.chart_access.models import GlassBreak, RestrictedChart


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changed only through the services (clinical/chart_access/services.py), which audit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(GlassBreak)
class GlassBreakAdmin(ReadOnlyAdmin):
    list_display = ["broken_at", "user", "patient_id", "reason", "expires_at"]
    list_filter = ["broken_at"]
    search_fields = ["=patient_id", "=user__username"]
    date_hierarchy = "broken_at"


@admin.register(RestrictedChart)
class RestrictedChartAdmin(ReadOnlyAdmin):
    list_display = ["patient_id", "restricted_by", "restricted_at"]
    search_fields = ["=patient_id"]
