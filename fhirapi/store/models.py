"""The resource tables: the current version of every resource, and every version ever written."""

from django.db import models


class ResourceRecord(models.Model):
    """The current version of one resource. A deleted resource keeps its row as a tombstone."""

    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    version_id = models.PositiveIntegerField()
    last_updated = models.DateTimeField()
    deleted = models.BooleanField(default=False)
    content = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "resource_id"], name="fhir_record_unique_type_id"
            )
        ]
        indexes = [
            models.Index(fields=["resource_type", "last_updated"], name="fhir_record_type_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version_id}"


class ResourceVersion(models.Model):
    """One version of a resource, as written; never changed once inserted."""

    class Method(models.TextChoices):
        CREATE = "POST"
        UPDATE = "PUT"
        PATCH = "PATCH"
        DELETE = "DELETE"

    record = models.ForeignKey(ResourceRecord, on_delete=models.CASCADE, related_name="versions")
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    version_id = models.PositiveIntegerField()
    last_updated = models.DateTimeField()
    method = models.CharField(max_length=6, choices=Method.choices)
    deleted = models.BooleanField(default=False)
    content = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "resource_id", "version_id"],
                name="fhir_version_unique_type_id_version",
            )
        ]
        indexes = [
            models.Index(fields=["last_updated"], name="fhir_version_updated"),
            models.Index(
                fields=["resource_type", "last_updated"], name="fhir_version_type_updated"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version_id}"
