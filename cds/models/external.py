from django.db import models


class ExternalCdsService(models.Model):
    """A CDS service provider elsewhere that the workspace calls; its discovery document is
    fetched and refreshed (`manage.py cds_refresh_external`, or the Celery task)."""

    title = models.CharField(max_length=200)
    base_url = models.URLField(
        max_length=500, unique=True, help_text="Its base URL; discovery is at {base}/cds-services"
    )
    enabled = models.BooleanField(default=True)
    services = models.JSONField(default=list, blank=True, help_text="From its last discovery")
    discovered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "external CDS service provider"

    def __str__(self) -> str:
        return self.title

    def services_for(self, hook: str) -> list[dict]:
        return [s for s in self.services if isinstance(s, dict) and s.get("hook") == hook]
