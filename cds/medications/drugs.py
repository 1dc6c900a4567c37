"""A medication order as decision support sees it: its RxNorm ingredients and classes."""

from dataclasses import dataclass
from typing import Any

from cds.fhir_values import RXNORM, Resource, codings, concept_text, reference_to
from cds.medications.knowledge import (
    classes_of,
    ingredient_name_pattern,
    ingredient_names,
    product_ingredients,
)

ACTIVE_STATUSES = ("active", "on-hold")


@dataclass(frozen=True)
class Drug:
    request: Resource  # the MedicationRequest
    name: str
    ingredients: frozenset[str]
    classes: frozenset[str]
    draft: bool  # a draft order of this hook call (vs. an active medication on file)

    @property
    def reference(self) -> str:
        return reference_to(self.request)


def drug_from_request(request: Resource, *, draft: bool) -> Drug:
    concept = _medication_concept(request)
    ingredients = ingredients_of(concept)
    return Drug(
        request=request,
        name=concept_text(concept, default="unnamed medication"),
        ingredients=ingredients,
        classes=classes_of(ingredients),
        draft=draft,
    )


def ingredients_of(concept: Any) -> frozenset[str]:
    """RxNorm ingredient RxCUIs of a medication concept: from its RxNorm codes (ingredient or
    mapped product), else from the ingredient names in its text."""
    found: set[str] = set()
    for coding in codings(concept):
        if coding.get("system") not in (RXNORM, None):
            continue
        code = str(coding["code"])
        if code in ingredient_names():
            found.add(code)
        found |= product_ingredients().get(code, frozenset())
    if found:
        return frozenset(found)
    return ingredients_by_name(concept_text(concept).lower())


def ingredients_by_name(text: str) -> frozenset[str]:
    found = set()
    for pattern, rxcui in ingredient_name_pattern():
        if pattern.search(text):
            found.add(rxcui)
            text = pattern.sub(" ", text)
    return frozenset(found)


def _medication_concept(request: Resource) -> Any:
    if "medicationCodeableConcept" in request:
        return request["medicationCodeableConcept"]
    reference = (request.get("medicationReference") or {}).get("reference", "")
    if reference.startswith("#"):
        for contained in request.get("contained") or []:
            if (
                contained.get("id") == reference[1:]
                and contained.get("resourceType") == "Medication"
            ):
                return contained.get("code")
    return {"text": (request.get("medicationReference") or {}).get("display", "")}


def draft_orders(context: dict[str, Any], *, selected_only: bool) -> list[Drug]:
    """The draft MedicationRequests of an order hook's context (order-select: the selections)."""
    bundle = context.get("draftOrders") or {}
    selections = set(context.get("selections") or []) if selected_only else set()
    drugs = []
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") != "MedicationRequest":
            continue
        if selections and reference_to(resource) not in selections:
            continue
        drugs.append(drug_from_request(resource, draft=True))
    return drugs


def active_medications(requests: list[Resource], *, excluding: set[str]) -> list[Drug]:
    return [
        drug_from_request(r, draft=False)
        for r in requests
        if r.get("status") in ACTIVE_STATUSES and reference_to(r) not in excluding
    ]
