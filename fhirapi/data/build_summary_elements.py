"""Regenerate `summary-elements.json` from the official R4 resource StructureDefinitions.

    .venv/bin/python fhirapi/data/build_summary_elements.py [/work/shared/data/fhir-r4]

For every resource type: its top-level elements flagged `isSummary` (what `_summary=true` keeps)
its top-level elements with `min` >= 1 (kept by every subset), and its top-level choice elements
(`value[x]`, written `value`: subsetting keeps `valueQuantity` for `value`). Deterministic output.
"""

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = Path("/work/shared/data/fhir-r4")
OUTPUT = Path(__file__).resolve().parent / "summary-elements.json"


def top_level(definition: dict[str, Any]) -> dict[str, list[str]]:
    """The summary, mandatory and choice top-level element names of one resource type."""
    summary, mandatory, choice = [], [], []
    for element in definition.get("snapshot", {}).get("element", []):
        parts = element["path"].split(".")
        if len(parts) != 2:
            continue
        name = parts[1].removesuffix("[x]")
        if parts[1].endswith("[x]"):
            choice.append(name)
        if element.get("isSummary"):
            summary.append(name)
        if element.get("min", 0) >= 1:
            mandatory.append(name)
    lists = {"summary": summary, "mandatory": mandatory, "choice": choice}
    return {key: sorted(set(names)) for key, names in lists.items()}


def build(source: Path) -> dict[str, Any]:
    types: dict[str, Any] = {}
    path = source / "structure-definitions-resources.ndjson"
    for line in path.read_text(encoding="utf-8").splitlines():
        definition = json.loads(line) if line.strip() else {}
        if definition.get("kind") != "resource" or definition.get("derivation") != "specialization":
            continue
        types[definition["type"]] = top_level(definition)
    return {"fhirVersion": "4.0.1", "resourceTypes": dict(sorted(types.items()))}


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    text = json.dumps(build(source), indent=1, sort_keys=False) + "\n"
    OUTPUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
