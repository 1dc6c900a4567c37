from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from cds.external import external_discovery_refresh
from cds.models import CardFeedback, CdsClient, ExternalCdsService


@admin.register(CdsClient)
class CdsClientAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "issuer", "jwks_url", "enabled"]
    list_filter = ["enabled"]


@admin.register(ExternalCdsService)
class ExternalCdsServiceAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "base_url", "enabled", "discovered_at", "last_error"]
    readonly_fields = ["services", "discovered_at", "last_error"]
    actions = ["refresh_discovery"]

    def save_model(
        self, request: HttpRequest, obj: ExternalCdsService, form: ModelForm, change: bool
    ) -> None:
        """Registering (or changing) an enabled provider fetches its discovery at once."""
        super().save_model(request, obj, form, change)
        if obj.enabled:
            external_discovery_refresh(provider=obj)
            if obj.last_error:
                messages.warning(request, f"Its discovery could not be fetched: {obj.last_error}")

    @admin.action(description="Fetch discovery now")
    def refresh_discovery(self, request: HttpRequest, queryset: QuerySet) -> None:
        for provider in queryset:
            external_discovery_refresh(provider=provider)
        messages.info(request, f"Refreshed {queryset.count()} provider(s).")


@admin.register(CardFeedback)
class CardFeedbackAdmin(admin.ModelAdmin):
    list_display = ["service_id", "provider", "card_uuid", "outcome", "rule", "outcome_timestamp"]
    list_filter = ["outcome", "service_id", "provider"]
