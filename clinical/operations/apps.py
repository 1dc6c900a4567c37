from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "clinical.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from clinical.operations import task_metrics  # noqa: F401 - connects the Celery signals
