"""Value sets and code hierarchies for token `:in`, `:not-in`, `:above` and `:below`.

A value set is looked up by canonical url (`|version` optional): first among the ValueSet
resources in the store (their `expansion.contains`, or else their compose's explicit concepts and
included value sets), then among the R4 value sets of `fhirapi/data/value-sets.json` (built by
`fhirapi/data/build_value_sets.py`). Hierarchies come from that file's code systems with nested
concepts.
"""

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from fhirapi.store.models import ResourceRecord

DATA = Path(__file__).resolve().parent.parent / "data" / "value-sets.json"
MAX_DEPTH = 5
Coding = tuple[str, str]


def expansion(canonical: str, depth: int = 0) -> set[Coding] | None:
    """The (system, code) pairs of a value set, or None when it is unknown or not expandable."""
    if depth > MAX_DEPTH:
        return None
    url, _, version = canonical.partition("|")
    stored = _stored_value_set(url, version)
    if stored is not None:
        return _stored_codes(stored, depth)
    codes = _data()["valueSets"].get(url)
    if codes is None:
        return None
    return {(system, code) for system, values in codes.items() for code in values}


def below(system: str, code: str) -> set[str]:
    """`code` and every code under it in `system`'s hierarchy."""
    children: dict[str, list[str]] = {}
    for child, parent in hierarchy(system).items():
        children.setdefault(parent, []).append(child)
    found, todo = {code}, [code]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def above(system: str, code: str) -> set[str]:
    """`code` and every code above it in `system`'s hierarchy."""
    parents = hierarchy(system)
    found = {code}
    while code in parents and parents[code] not in found:
        code = parents[code]
        found.add(code)
    return found


def hierarchy(system: str) -> Mapping[str, str]:
    return _data()["hierarchies"].get(system, {})


def _stored_value_set(url: str, version: str) -> dict[str, Any] | None:
    records = ResourceRecord.objects.filter(
        resource_type="ValueSet", deleted=False, content__url=url
    )
    if version:
        records = records.filter(content__version=version)
    record = records.order_by("-last_updated").first()
    return record.content if record is not None else None


def _stored_codes(value_set: dict[str, Any], depth: int) -> set[Coding] | None:
    contains = value_set.get("expansion", {}).get("contains")
    if contains:
        return set(_contained(contains))
    compose = value_set.get("compose", {})
    included: set[Coding] = set()
    for part in compose.get("include", []):
        codes = _part_codes(part, depth)
        if codes is None:
            return None
        included |= codes
    for part in compose.get("exclude", []):
        included -= _part_codes(part, depth) or set()
    return included


def _part_codes(part: dict[str, Any], depth: int) -> set[Coding] | None:
    system = part.get("system")
    codes: set[Coding] | None = None
    if system and part.get("concept"):
        codes = {(system, c["code"]) for c in part["concept"] if "code" in c}
    elif system:
        return None  # a whole code system or a filter: not expandable here
    for url in part.get("valueSet", []):
        other = expansion(url, depth + 1)
        if other is None:
            return None
        codes = other if codes is None else codes & other
    return codes


def _contained(contains: Iterable[dict[str, Any]]) -> Iterable[Coding]:
    for item in contains:
        if item.get("system") and item.get("code"):
            yield item["system"], item["code"]
        yield from _contained(item.get("contains", []))


@cache
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))
