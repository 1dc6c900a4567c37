"""The Practitioner standing for each EHR user: the workspace names it as the author of what the
user writes, and SMART names it in the `fhirUser` claim. One with the identifier
{urn:wintehr:username, <username>} counts (an administrator may have linked one); otherwise the
user's own is `Practitioner/wintehr-user-<pk>`, made when first needed."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from fhirapi.services import FhirRepository
from fhirapi.smart.selectors import USER_IDENTIFIER_SYSTEM, practitioner_id_for_user


def practitioner_id(user: AbstractBaseUser) -> str:
    return f"wintehr-user-{user.pk}"


def practitioner_resource(user: AbstractBaseUser) -> dict[str, Any]:
    name: dict[str, Any] = {"text": user.get_full_name() or user.get_username()}  # type: ignore[attr-defined]
    if user.last_name:  # type: ignore[attr-defined]
        name["family"] = user.last_name  # type: ignore[attr-defined]
    if user.first_name:  # type: ignore[attr-defined]
        name["given"] = [user.first_name]  # type: ignore[attr-defined]
    return {
        "resourceType": "Practitioner",
        "id": practitioner_id(user),
        "active": True,
        "identifier": [{"system": USER_IDENTIFIER_SYSTEM, "value": user.get_username()}],
        "name": [name],
    }


def fhir_user_url(user: AbstractBaseUser, *, origin: str) -> str:
    """The user's Practitioner (the `fhirUser` claim) on the server at `origin`, created by the
    system when the user has none yet, so the claim always names a resource that can be read."""
    found = practitioner_id_for_user(user)
    if found is None:
        found = practitioner_id(user)
        FhirRepository().update("Practitioner", found, practitioner_resource(user))
    return f"{origin.rstrip('/')}/fhir/Practitioner/{found}"
