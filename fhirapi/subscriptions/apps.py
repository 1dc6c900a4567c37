from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "fhirapi.subscriptions"
    label = "fhirsubscriptions"
    verbose_name = "FHIR Subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fhirapi.store.events import subscribe_batch
        from fhirapi.subscriptions.services import changes_notify

        subscribe_batch(changes_notify)
