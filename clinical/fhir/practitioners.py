"""Each WintEHR user acts in FHIR as a Practitioner with a fixed id (`wintehr-user-<pk>`), made on
their first write, so orders, notes and acknowledgements can name who did them."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.codes import USERNAME_SYSTEM
from fhirapi.services import FhirRepository


def practitioner_id(user: AbstractBaseUser) -> str:
    return f"wintehr-user-{user.pk}"


def practitioner_reference(user: AbstractBaseUser) -> dict[str, str]:
    name = user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
    return {"reference": f"Practitioner/{practitioner_id(user)}", "display": name}


def practitioner_ensure(*, user: AbstractBaseUser, repository: FhirRepository) -> dict[str, str]:
    """The user's Practitioner reference, creating the Practitioner if it does not exist yet."""
    reference = practitioner_reference(user)
    if not repository.match("Practitioner", f"_id={practitioner_id(user)}", limit=1):
        repository.update("Practitioner", practitioner_id(user), _practitioner(user))
    return reference


def _practitioner(user: AbstractBaseUser) -> dict[str, Any]:
    name: dict[str, Any] = {"text": user.get_full_name() or user.get_username()}  # type: ignore[attr-defined]
    if user.last_name:  # type: ignore[attr-defined]
        name["family"] = user.last_name  # type: ignore[attr-defined]
    if user.first_name:  # type: ignore[attr-defined]
        name["given"] = [user.first_name]  # type: ignore[attr-defined]
    return {
        "resourceType": "Practitioner",
        "id": practitioner_id(user),
        "active": True,
        "identifier": [{"system": USERNAME_SYSTEM, "value": user.get_username()}],
        "name": [name],
    }
