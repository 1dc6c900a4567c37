"""Reading resources through the repository, as the signed-in user. Every search is strict (a
misspelt parameter is a bug, not an ignored filter) and asks for no total (it costs a count)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from clinical.fhir.access import directory_actor
from fhirapi.errors import Forbidden, ResourceGone, ResourceNotFound
from fhirapi.services import FhirRepository, user_actor

Resource = dict[str, Any]


def repository_for(user: AbstractBaseUser, *, directory: bool = False) -> FhirRepository:
    """The user's repository; `directory`: for finding patients, restricted charts included."""
    return FhirRepository(actor=directory_actor(user) if directory else user_actor(user))


def search(
    user: AbstractBaseUser,
    resource_type: str,
    params: list[tuple[str, str]],
    *,
    count: int = 100,
    directory: bool = False,
) -> list[Resource]:
    """The matching resources (not included ones), at most `count`."""
    bundle = repository_for(user, directory=directory).search_bundle(
        resource_type,
        [*params, ("_count", str(count)), ("_total", "none")],
        base_url=settings.FHIR_BASE_URL,
        strict=True,
    )
    return [
        entry["resource"]
        for entry in bundle.get("entry") or []
        if (entry.get("search") or {}).get("mode", "match") == "match"
    ]


def read(user: AbstractBaseUser, resource_type: str, resource_id: str) -> Resource | None:
    """The current resource, or None when it does not exist or was deleted. PermissionDenied (a
    403 page) when the user may not see it: their role, or a restricted chart not open to them."""
    try:
        return repository_for(user).read(resource_type, resource_id).content
    except (ResourceNotFound, ResourceGone):
        return None
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc


def by_ids(
    user: AbstractBaseUser, resource_type: str, ids: list[str], *, directory: bool = False
) -> dict[str, Resource]:
    """Resources by id in one search (missing ones are absent from the result)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    params = [("_id", ",".join(wanted))]
    found = search(user, resource_type, params, count=len(wanted), directory=directory)
    return {resource["id"]: resource for resource in found}


def reference_id(reference: dict | None, resource_type: str) -> str | None:
    """The id in a reference `[base/]Type/id[/_history/n]` of the given type, else None."""
    text = (reference or {}).get("reference") or ""
    parts = text.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return parts[-1]
    return None


def belongs_to(resource: Resource | None, patient_id: str) -> bool:
    """Whether the resource is about this patient (its subject or patient)."""
    if resource is None:
        return False
    for key in ("subject", "patient"):
        if reference_id(resource.get(key), "Patient") == patient_id:
            return True
    return False
