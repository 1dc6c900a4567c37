"""Catalog search: the curated items that match every word, then codes found in the store."""

from django.contrib.auth.models import AbstractBaseUser

from clinical.catalog.catalog import KINDS, CatalogItem, curated_items, matches
from clinical.fhir.reads import search

STORE_SCAN = 50


def catalog_search(
    *, user: AbstractBaseUser, kind: str, query: str, limit: int = 15
) -> list[CatalogItem]:
    words = query.lower().split()
    if not words:
        return list(curated_items(kind)[:limit])
    found = [item for item in curated_items(kind) if matches(item, words)]
    seen = {(item.system, item.code) for item in found}
    for item in _store_items(user, kind, query):
        if (item.system, item.code) not in seen and matches(item, words):
            seen.add((item.system, item.code))
            found.append(item)
    return found[:limit]


def _store_items(user: AbstractBaseUser, kind: str, query: str) -> list[CatalogItem]:
    """Codes of the kind already used in the store (one search: `code:text`)."""
    spec = KINDS[kind]
    params = [*spec.store_params, ("code:text", query.replace(",", r"\,"))]
    items = []
    for resource in search(user, spec.store_type, params, count=STORE_SCAN):
        concept = _concept(resource)
        for coding in concept.get("coding") or []:
            if coding.get("system") in spec.systems and coding.get("code"):
                display = coding.get("display") or concept.get("text") or coding["code"]
                items.append(
                    CatalogItem(kind, coding["system"], coding["code"], display, curated=False)
                )
                break
    return items


def _concept(resource: dict) -> dict:
    if resource["resourceType"] == "MedicationRequest":
        return resource.get("medicationCodeableConcept") or {}
    return resource.get("code") or {}
