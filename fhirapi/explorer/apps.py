from django.apps import AppConfig


class ExplorerConfig(AppConfig):
    name = "fhirapi.explorer"
    label = "fhirexplorer"
    verbose_name = "FHIR explorer"
