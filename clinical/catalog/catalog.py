"""The curated catalog, read once from data/*.json."""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from clinical.fhir.codes import ICD10, LOINC, RXNORM, SNOMED

DATA = Path(__file__).resolve().parent / "data"
SYSTEMS = {"snomed": SNOMED, "rxnorm": RXNORM, "loinc": LOINC}


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    file: str
    systems: tuple[str, ...]  # code systems a picked code may come from
    store_type: str  # where the store's codes of this kind are found
    store_params: tuple[tuple[str, str], ...] = ()


KINDS = {
    k.key: k
    for k in (
        Kind("medications", "Medications", "medications.json", (RXNORM,), "MedicationRequest"),
        Kind(
            "lab-tests",
            "Lab tests",
            "lab_tests.json",
            (LOINC,),
            "Observation",
            (("category", "laboratory"),),
        ),
        Kind("problems", "Problems", "problems.json", (SNOMED, ICD10), "Condition"),
        Kind("procedures", "Procedures", "procedures.json", (SNOMED,), "Procedure"),
        Kind("imaging", "Imaging", "imaging.json", (LOINC,), "ServiceRequest"),
        Kind("allergens", "Allergens", "allergens.json", (SNOMED, RXNORM), "AllergyIntolerance"),
    )
}
DEFAULT_SYSTEM = {
    "medications": RXNORM,
    "lab-tests": LOINC,
    "problems": SNOMED,
    "procedures": SNOMED,
    "imaging": LOINC,
}


@dataclass(frozen=True)
class CatalogItem:
    kind: str
    system: str
    code: str
    display: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    curated: bool = True

    @property
    def token(self) -> str:
        """What a form submits for this item: `system|code|display`."""
        return f"{self.system}|{self.code}|{self.display}"

    def concept(self) -> dict[str, Any]:
        codings = [{"system": self.system, "code": self.code, "display": self.display}]
        if self.extra.get("icd10"):
            codings.append({"system": ICD10, "code": self.extra["icd10"]})
        return {"coding": codings, "text": self.display}

    @property
    def system_label(self) -> str:
        return {
            SNOMED: "SNOMED CT",
            RXNORM: "RxNorm",
            LOINC: "LOINC",
            ICD10: "ICD-10-CM",
        }.get(self.system, self.system)


@cache
def curated_items(kind: str) -> tuple[CatalogItem, ...]:
    spec = KINDS[kind]
    data = json.loads((DATA / spec.file).read_text())
    items = []
    for raw in data["items"]:
        system = SYSTEMS.get(raw.get("system", ""), DEFAULT_SYSTEM.get(kind, SNOMED))
        extra = {k: v for k, v in raw.items() if k not in ("system", "code", "display")}
        items.append(CatalogItem(kind, system, raw["code"], raw["display"], extra))
    return tuple(items)


@cache
def choices(name: str) -> tuple[dict[str, Any], ...]:
    """routes.json and frequencies.json: the keyed option lists of medication orders."""
    return tuple(json.loads((DATA / f"{name}.json").read_text())["items"])


def option(name: str, key: str) -> dict[str, Any] | None:
    return next((item for item in choices(name) if item["key"] == key), None)


def curated_item(kind: str, system: str, code: str) -> CatalogItem | None:
    return next((i for i in curated_items(kind) if i.system == system and i.code == code), None)


def item_from_token(kind: str, token: str) -> CatalogItem | None:
    """The item a form submitted, if well formed and of an allowed system; curated items come
    back with their curated display and details."""
    parts = (token or "").split("|", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        return None
    system, code, display = (p.strip() for p in parts)
    if system not in KINDS[kind].systems or len(code) > 64 or len(display) > 300:
        return None
    return curated_item(kind, system, code) or CatalogItem(
        kind, system, code, display, curated=False
    )


def matches(item: CatalogItem, words: list[str]) -> bool:
    text = f"{item.display} {item.code} {item.extra.get('icd10', '')}".lower()
    return all(word in text for word in words)
