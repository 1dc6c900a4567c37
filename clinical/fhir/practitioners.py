"""Each WintEHR user acts in FHIR as a Practitioner with a fixed id (`wintehr-user-<pk>`), made on
their first write, so orders, notes and acknowledgements can name who did them (the resource
itself: fhirapi/smart/practitioners.py, which SMART's `fhirUser` claim uses too)."""

from django.contrib.auth.models import AbstractBaseUser

from fhirapi.services import FhirRepository
from fhirapi.smart.practitioners import practitioner_id, practitioner_resource


def practitioner_reference(user: AbstractBaseUser) -> dict[str, str]:
    name = user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
    return {"reference": f"Practitioner/{practitioner_id(user)}", "display": name}


def practitioner_ensure(*, user: AbstractBaseUser, repository: FhirRepository) -> dict[str, str]:
    """The user's Practitioner reference, creating the Practitioner if it does not exist yet."""
    reference = practitioner_reference(user)
    if not repository.match("Practitioner", f"_id={practitioner_id(user)}", limit=1):
        repository.update("Practitioner", practitioner_id(user), practitioner_resource(user))
    return reference
