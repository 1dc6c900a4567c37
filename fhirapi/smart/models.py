"""What SMART adds to django-oauth-toolkit's applications, grants and tokens: the app's launch URL,
keys and allowed scopes; EHR launches; the launch context (patient, encounter) an authorization
code and its access tokens carry; and the client-assertion ids already seen (replay refusal)."""

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


class SmartApp(models.Model):
    """The SMART registration of one OAuth2 application."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="smart"
    )
    launch_url = models.URLField(blank=True, help_text="Where the EHR opens the app")
    allowed_scopes = models.TextField(help_text="The scopes the app may get (space-separated)")
    jwks = models.JSONField(
        null=True, blank=True, help_text="Public keys (a JWK Set) for private_key_jwt clients"
    )
    jwks_url = models.URLField(blank=True, help_text="Or where the app serves its JWK Set")

    def __str__(self) -> str:
        return f"SMART registration of {self.application}"


class LaunchContext(models.Model):
    """The context a launch establishes: who the app is launched for."""

    patient_id = models.CharField(max_length=64, blank=True)
    encounter_id = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True


class Launch(LaunchContext):
    """An EHR launch: the opaque id the EHR hands the app, bound to the user who launched it."""

    id = models.CharField(primary_key=True, max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    expires = models.DateTimeField()

    def __str__(self) -> str:
        return f"launch for Patient/{self.patient_id}"


class GrantContext(LaunchContext):
    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL, on_delete=models.CASCADE, related_name="smart_context"
    )

    def __str__(self) -> str:
        return f"context of grant #{self.grant_id}"


class TokenContext(LaunchContext):
    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="smart_context"
    )

    def __str__(self) -> str:
        return f"context of access token #{self.access_token_id}"


class AssertionJti(models.Model):
    """A client assertion's `jti`, kept until the assertion expires so it cannot be replayed."""

    client_id = models.CharField(max_length=255)
    jti = models.CharField(max_length=255)
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "jti"], name="smart_assertion_jti_once")
        ]

    def __str__(self) -> str:
        return f"assertion {self.jti} of {self.client_id}"
