"""`_summary` and `_elements` (search.html#summary, #elements): the matches of a searchset with only
some of their elements, tagged SUBSETTED.

- `_summary=true`: the elements the R4 definitions flag `isSummary` (top-level);
- `_summary=text`: `text` and the mandatory elements; `_summary=data`: all but `text`;
- `_elements=a,b`: those top-level elements and the mandatory ones.

`resourceType`, `id` and `meta` are always kept. Included resources and the OperationOutcome are
given whole. The subset is taken after the access policy has checked the full entries, so a
policy never judges a resource by its subset. Data: `fhirapi/data/summary-elements.json`, built by
`fhirapi/data/build_summary_elements.py`.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "summary-elements.json"
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
ALWAYS = frozenset({"resourceType", "id", "meta"})
SUMMARY_MODES = frozenset({"true", "text", "data", "count", "false"})


@dataclass(frozen=True, slots=True)
class Subset:
    summary: str | None  # true, text or data
    elements: tuple[str, ...] = ()


def requested_subset(params: Iterable[tuple[str, str]]) -> Subset | None:
    """The subset a search's parameters ask for (the last `_summary`; `_elements` ORed)."""
    summary, elements = None, []
    for key, value in params:
        if key == "_summary" and value in ("true", "text", "data"):
            summary = value
        elif key == "_elements":
            elements += [v.strip() for v in value.split(",") if v.strip()]
    if summary is None and not elements:
        return None
    return Subset(summary, tuple(elements))


def subset_bundle(bundle: dict[str, Any], params: Iterable[tuple[str, str]]) -> dict[str, Any]:
    subset = requested_subset(params)
    if subset is None or not bundle.get("entry"):
        return bundle
    entries = [
        {**e, "resource": subset_resource(e["resource"], subset)}
        if e.get("search", {}).get("mode") == "match"
        else e
        for e in bundle["entry"]
    ]
    return {**bundle, "entry": entries}


def subset_resource(resource: dict[str, Any], subset: Subset) -> dict[str, Any]:
    resource_type = resource["resourceType"]
    kept = _kept(resource_type, subset)
    choices = _definitions().get(resource_type, {}).get("choice", ())
    result = {k: v for k, v in resource.items() if _keep(k, kept, choices)}
    meta = dict(result.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    result["meta"] = meta
    return result


def _kept(resource_type: str, subset: Subset) -> frozenset[str] | None:
    """Element names (choice elements without their type) kept; None: all but `text`."""
    definition = _definitions().get(resource_type, {})
    mandatory = frozenset(definition.get("mandatory", ()))
    if subset.summary == "true":
        return ALWAYS | frozenset(definition.get("summary", ())) | mandatory
    if subset.summary == "text":
        return ALWAYS | mandatory | {"text"}
    if subset.summary == "data":
        return None
    names = (e.removeprefix(f"{resource_type}.") for e in subset.elements)
    return ALWAYS | mandatory | frozenset(names)


def _keep(key: str, kept: frozenset[str] | None, choices: Iterable[str]) -> bool:
    if kept is None:
        return key != "text"
    if key in kept:
        return True
    return any(
        name in kept and key.startswith(name) and key[len(name) : len(name) + 1].isupper()
        for name in choices
    )


@cache
def _definitions() -> Mapping[str, dict[str, list[str]]]:
    return json.loads(DATA.read_text(encoding="utf-8"))["resourceTypes"]
