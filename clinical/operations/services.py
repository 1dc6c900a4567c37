"""Administrators' writes from the admin pages that are not a model's own form."""

from axes.utils import reset as axes_reset
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from fhirapi.audit.events import DCM, SECURITY_ALERT, AuditKind, Coding
from fhirapi.audit.services import audit_record

SIGNIN_UNLOCK = AuditKind(
    "signin-unlock", SECURITY_ALERT, Coding(DCM, "110137", "User security Attributes Changed"), "E"
)


@transaction.atomic
def signin_unlock(*, usernames: list[str], acting_user: AbstractBaseUser) -> int:
    """Lift the sign-in lock-out (django-axes) of these users at every address; each unlocked
    user gets an audit record. Returns how many failed-attempt records were removed."""
    removed = 0
    for username in usernames:
        cleared = axes_reset(username=username)
        if cleared:
            audit_record(
                kind=SIGNIN_UNLOCK,
                username=acting_user.get_username(),
                description=f"sign-in lock-out of {username!r} lifted ({cleared} record(s))",
            )
        removed += cleared
    return removed
