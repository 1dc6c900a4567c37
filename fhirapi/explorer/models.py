from django.db import models


class ExplorerAccess(models.Model):
    """No table: holds the permission to use the FHIR explorer (granted to the admin role)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("use_explorer", "Use the FHIR explorer")]

    def __str__(self) -> str:
        return "FHIR explorer access"
