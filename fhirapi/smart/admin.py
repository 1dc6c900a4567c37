"""App registration in the Django admin: django-oauth-toolkit's Application, plus SMART's fields."""

from django.contrib import admin
from django.db import models
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from fhirapi.smart.models import SmartApp

Application = get_application_model()


class SmartAppInline(admin.StackedInline):
    model = SmartApp
    can_delete = False
    verbose_name = "SMART registration"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


admin.site.unregister(Application)


@admin.register(Application)
class SmartApplicationAdmin(oauth2_settings.APPLICATION_ADMIN_CLASS):
    inlines = [SmartAppInline]
