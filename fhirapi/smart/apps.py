from django.apps import AppConfig


class SmartConfig(AppConfig):
    name = "fhirapi.smart"
    label = "smart"
    verbose_name = "SMART on FHIR"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from fhirapi.smart.cors import allow_registered_app_origins

        check_request_enabled.connect(allow_registered_app_origins, dispatch_uid="smart-cors")
