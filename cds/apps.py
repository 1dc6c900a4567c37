from django.apps import AppConfig


class CdsConfig(AppConfig):
    name = "cds"
