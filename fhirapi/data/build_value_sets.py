"""Regenerate `value-sets.json`, the R4 value sets token `:in`/`:not-in` can use, and the code
hierarchies `:above`/`:below` follow.

    .venv/bin/python fhirapi/data/build_value_sets.py [/work/shared/data/fhir-r4]

From the R4 package's CodeSystems and ValueSets: every value set whose compose the package can
expand by itself (explicit concepts, whole complete code systems, `is-a`/`descendent-of` filters,
other such value sets; excludes applied), with at most MAX_CODES codes; and for every code system
with nested concepts, each code's parent. Deterministic output.
"""

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = Path("/work/shared/data/fhir-r4")
OUTPUT = Path(__file__).resolve().parent / "value-sets.json"
MAX_CODES = 2000
Codes = dict[str, set[str]]  # system -> codes


class Unexpandable(Exception):
    pass


def read(source: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    systems, sets = {}, {}
    path = source / "terminology-valuesets-codesystems.ndjson"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        resource = json.loads(line)
        if resource.get("resourceType") == "CodeSystem" and resource.get("url"):
            systems[resource["url"]] = resource
        elif resource.get("resourceType") == "ValueSet" and resource.get("url"):
            sets[resource["url"]] = resource
    return systems, sets


def parents(concepts: list[dict], parent: str | None = None) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for concept in concepts:
        found[concept["code"]] = parent
        found.update(parents(concept.get("concept", []), concept["code"]))
    return found


def descendants(tree: dict[str, str | None], code: str) -> set[str]:
    children: dict[str | None, list[str]] = {}
    for child, parent in tree.items():
        children.setdefault(parent, []).append(child)
    found, todo = set(), [code]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def include_codes(part: dict, trees: dict[str, dict], sets: dict[str, dict], depth: int) -> Codes:
    system = part.get("system")
    codes: Codes = {}
    if system:
        if "concept" in part:
            codes[system] = {c["code"] for c in part["concept"]}
        elif system not in trees:
            raise Unexpandable(system)
        elif not part.get("filter"):
            codes[system] = set(trees[system])
        else:
            codes[system] = filtered(trees[system], part["filter"])
    for url in part.get("valueSet", []):
        other = expand(sets.get(url.partition("|")[0]), trees, sets, depth + 1)
        codes = intersect(codes, other) if system else merge(codes, other)
    return codes


def filtered(tree: dict[str, str | None], filters: list[dict]) -> set[str]:
    result = set(tree)
    for item in filters:
        if item.get("property") != "concept" or item.get("op") not in ("is-a", "descendent-of"):
            raise Unexpandable(item.get("op"))
        below = descendants(tree, item["value"])
        result &= below | ({item["value"]} if item["op"] == "is-a" else set())
    return result


def merge(a: Codes, b: Codes) -> Codes:
    return {s: a.get(s, set()) | b.get(s, set()) for s in a.keys() | b.keys()}


def intersect(a: Codes, b: Codes) -> Codes:
    return {s: a[s] & b[s] for s in a.keys() & b.keys()}


def expand(
    value_set: dict | None, trees: dict[str, dict], sets: dict[str, dict], depth: int = 0
) -> Codes:
    if value_set is None or depth > 5 or "compose" not in value_set:
        raise Unexpandable("no compose")
    codes: Codes = {}
    for part in value_set["compose"].get("include", []):
        codes = merge(codes, include_codes(part, trees, sets, depth))
    for part in value_set["compose"].get("exclude", []):
        for system, excluded in include_codes(part, trees, sets, depth).items():
            codes[system] = codes.get(system, set()) - excluded
    return codes


def build(source: Path) -> dict[str, Any]:
    systems, sets = read(source)
    trees = {
        url: parents(cs.get("concept", []))
        for url, cs in systems.items()
        if cs.get("content") == "complete"
    }
    value_sets = {}
    for url, value_set in sorted(sets.items()):
        try:
            codes = expand(value_set, trees, sets)
        except Unexpandable:
            continue
        size = sum(len(c) for c in codes.values())
        if 0 < size <= MAX_CODES:
            value_sets[url] = {s: sorted(c) for s, c in sorted(codes.items()) if c}
    hierarchies = {
        url: dict(sorted((code, parent) for code, parent in tree.items() if parent))
        for url, tree in sorted(trees.items())
        if any(tree.values())
    }
    return {"valueSets": value_sets, "hierarchies": hierarchies}


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    OUTPUT.write_text(json.dumps(build(source), separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
