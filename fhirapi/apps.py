from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    verbose_name = "FHIR store"
    name = "fhirapi"

    def ready(self) -> None:
        from fhirapi.search.custom_params import search_parameters_changed
        from fhirapi.store.events import subscribe_batch

        subscribe_batch(search_parameters_changed)
