"""Writes for SMART: registering apps, and the EHR's side of a launch."""

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings

from fhirapi.smart.models import Launch, SmartApp

LAUNCH_SECONDS = 300  # an app opened by the EHR must ask for authorization within this time


def launch_create(
    *, user: AbstractBaseUser, patient_id: str, encounter_id: str | None = None
) -> str:
    """Start an EHR launch for `user` in the context of a patient (and encounter); returns the
    opaque launch id to hand the app (see `smart_launch_url`)."""
    launch = Launch.objects.create(
        id=secrets.token_urlsafe(24),
        user=user,
        patient_id=patient_id,
        encounter_id=encounter_id or "",
        expires=timezone.now() + timedelta(seconds=LAUNCH_SECONDS),
    )
    return launch.id


def smart_launch_url(app: SmartApp, launch_id: str, *, iss: str | None = None) -> str:
    """Where the EHR sends the browser to launch `app`: its launch URL with `iss` (this server's
    FHIR base; settings.FHIR_BASE_URL unless given) and `launch`."""
    if not app.launch_url:
        raise ValueError(f"{app.application} has no launch URL")
    separator = "&" if "?" in app.launch_url else "?"
    query = urlencode({"iss": iss or settings.FHIR_BASE_URL, "launch": launch_id})
    return f"{app.launch_url}{separator}{query}"


@transaction.atomic
def smart_app_register(
    *,
    name: str,
    allowed_scopes: str,
    redirect_uris: str = "",
    launch_url: str = "",
    confidential: bool = False,
    backend: bool = False,
    jwks: dict[str, Any] | None = None,
    jwks_url: str = "",
) -> tuple[Application, str]:
    """Register a SMART app; returns it and its client secret ("" for a public app; shown once:
    only a hash is kept).

    An app launched by users uses the authorization code grant (public unless `confidential`);
    a `backend` service uses client credentials, usually with private_key_jwt (`jwks` or
    `jwks_url`), and acts as its own service-account user."""
    confidential = confidential or backend
    secret = generate_client_secret() if confidential else ""
    application = Application(
        name=name,
        redirect_uris=redirect_uris,
        client_secret=secret,
        hash_client_secret=confidential,
        client_type=Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
        if backend
        else Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM
        if oauth2_settings.OIDC_ENABLED and not backend
        else "",
    )
    if backend:
        application.user = _service_account(application.client_id)
    application.full_clean()
    application.save()
    smart = SmartApp(
        application=application,
        allowed_scopes=allowed_scopes,
        launch_url=launch_url,
        jwks=jwks,
        jwks_url=jwks_url,
    )
    smart.full_clean()
    smart.save()
    return application, secret


def _service_account(client_id: str) -> AbstractBaseUser:
    user = get_user_model()(username=f"smart-client-{client_id}"[:150])
    user.set_unusable_password()
    user.save()
    return user
