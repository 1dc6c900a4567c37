from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "fhirapi.bulk"
    label = "fhirbulk"
    verbose_name = "FHIR import and export"
    default_auto_field = "django.db.models.BigAutoField"
