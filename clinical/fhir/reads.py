"""Reading resources through the repository, as the signed-in user. Every search is strict (a
misspelt parameter is a bug, not an ignored filter) and asks for no total (it costs a count)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from fhirapi.errors import ResourceGone, ResourceNotFound
from fhirapi.services import Actor, FhirRepository

Resource = dict[str, Any]


def repository_for(user: AbstractBaseUser) -> FhirRepository:
    return FhirRepository(actor=Actor(username=user.get_username()))


def search(
    user: AbstractBaseUser, resource_type: str, params: list[tuple[str, str]], *, count: int = 100
) -> list[Resource]:
    """The matching resources (not included ones), at most `count`."""
    bundle = repository_for(user).search_bundle(
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
    """The current resource, or None when it does not exist or was deleted."""
    try:
        return repository_for(user).read(resource_type, resource_id).content
    except (ResourceNotFound, ResourceGone):
        return None


def by_ids(user: AbstractBaseUser, resource_type: str, ids: list[str]) -> dict[str, Resource]:
    """Resources by id in one search (missing ones are absent from the result)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    found = search(user, resource_type, [("_id", ",".join(wanted))], count=len(wanted))
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
