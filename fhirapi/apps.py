from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    verbose_name = "FHIR store"
    name = "fhirapi"
