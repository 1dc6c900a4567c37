"""Sign-in, failed sign-in and sign-out into the audit trail. Django announces these only as
signals (failures come from deep inside authenticate()), so they are recorded by receivers,
connected in ClinicalConfig.ready()."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from fhirapi.audit.events import LOGIN, LOGOUT
from fhirapi.audit.origin import origin_of
from fhirapi.audit.services import MINOR_FAILURE, audit_record


def record_sign_in(sender, request, user, **kwargs) -> None:
    audit_record(
        kind=LOGIN,
        username=user.get_username(),
        origin=origin_of(request) if request is not None else None,
        description="signed in with password",
    )


def record_sign_in_failure(sender, credentials, request=None, **kwargs) -> None:
    audit_record(
        kind=LOGIN,
        username=str(credentials.get("username", "")),
        outcome=MINOR_FAILURE,
        origin=origin_of(request) if request is not None else None,
        description="sign-in refused",
    )


def record_sign_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    audit_record(
        kind=LOGOUT,
        username=user.get_username(),
        origin=origin_of(request) if request is not None else None,
        description=getattr(request, "signout_reason", "signed out"),
    )


def connect() -> None:
    user_logged_in.connect(record_sign_in, dispatch_uid="wintehr-audit-sign-in")
    user_login_failed.connect(record_sign_in_failure, dispatch_uid="wintehr-audit-sign-in-failure")
    user_logged_out.connect(record_sign_out, dispatch_uid="wintehr-audit-sign-out")
