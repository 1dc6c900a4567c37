"""Helpers every workspace service uses around its writes: permission, audit, errors."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.store.writes import format_instant, now_in_milliseconds

__all__ = ["audit_write", "now_instant", "require_permission"]


def require_permission(user: AbstractBaseUser, permission: str, what: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(f"Your role may not {what}.")


def audit_write(
    *,
    user: AbstractBaseUser,
    action: str,
    patient_id: str,
    reference: str,
    description: str,
) -> None:
    """`action`: create, update or delete; `reference`: Type/id of what was written."""
    resource_type, _, resource_id = reference.partition("/")
    audit_record(
        kind=REST_KINDS[action],
        username=user.get_username(),
        patient_id=patient_id,
        resource_type=resource_type,
        resource_id=resource_id.split("/")[0],
        description=f"workspace: {description}",
    )


def now_instant() -> str:
    return format_instant(now_in_milliseconds())
