from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "clinical.operations"
    label = "operations"
    verbose_name = "Operations"
