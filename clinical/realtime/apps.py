from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "clinical.realtime"
    label = "clinical_realtime"
    verbose_name = "Live screens"

    def ready(self) -> None:
        from clinical.realtime.publish import changes_publish
        from fhirapi.store.events import subscribe_batch

        subscribe_batch(changes_publish)
