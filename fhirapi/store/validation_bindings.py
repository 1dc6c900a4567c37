"""Required terminology bindings: a code or CodeableConcept must come from its value set.

The expansions are built with the structure table (fhirapi/data/validation-r4-structure.json):
every required binding of a `code` or CodeableConcept element in R4 whose value set the R4
package can expand by itself, that is all but those on MIME types, UCUM units, currencies and
one LOINC answer list (listed in the table's `uncheckedBindings`).

A `code` must be one of the value set's codes. A CodeableConcept must have a coding whose
system and code are in the value set: text alone does not meet a required binding.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ValueSet:
    url: str
    codes: frozenset[str]  # the codes of all its code systems, for a `code` element
    codings: frozenset[tuple[str, str]]  # (system, code), for a CodeableConcept


def value_sets(raw: dict[str, dict[str, list[str]]]) -> dict[str, ValueSet]:
    """The expansions of the structure table's `valueSets`, by value set url."""
    return {url: value_set(url, codes_by_system) for url, codes_by_system in raw.items()}


def value_set(url: str, codes_by_system: dict[str, list[str]]) -> ValueSet:
    codings = frozenset(
        (system, code) for system, codes in codes_by_system.items() for code in codes
    )
    return ValueSet(url, frozenset(code for _system, code in codings), codings)


def code_problem(code: str, bound: ValueSet) -> str:
    return f"{code!r} is not in the required value set {bound.url}"


def codeable_concept_problem(value: dict[str, Any], bound: ValueSet) -> str | None:
    """What keeps a CodeableConcept from meeting its required binding, or None."""
    codings = value.get("coding")
    if not isinstance(codings, list) or not codings:
        return f"A coding from the required value set {bound.url} is needed"
    written = []
    for coding in codings:
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if type(system) is str and type(code) is str and (system, code) in bound.codings:
            return None
        written.append(f"{system}|{code}")
    return f"No coding is from the required value set {bound.url}: got {', '.join(written)}"
