from django.db import models


class CdsClient(models.Model):
    """A CDS client (an EHR) allowed to call our CDS services with JWTs signed by its keys."""

    name = models.CharField(max_length=200)
    issuer = models.CharField(max_length=500, unique=True, help_text="The JWT `iss` it signs with")
    jwks = models.JSONField(
        null=True, blank=True, help_text="Its public JWK Set, when given out of band"
    )
    jwks_url = models.URLField(
        max_length=500, blank=True, help_text="Its JWK Set URL (the only `jku` accepted)"
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"


class UsedJwtId(models.Model):
    """A JWT `jti` already presented, kept until its token expires, to refuse replays."""

    issuer = models.CharField(max_length=500)
    jti = models.CharField(max_length=500)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "jti"], name="cds_jti_once")]

    def __str__(self) -> str:
        return f"{self.issuer} {self.jti}"
