from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fhirapi.audit"
    label = "audit"
    verbose_name = "Audit trail"
