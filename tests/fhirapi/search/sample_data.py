"""The search tests' sample resources: two Synthea bundles and a set of official R4 examples,
copied into tests/fixtures/search (see its PROVENANCE.txt)."""

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "search"
SYNTHEA_BUNDLES = sorted(FIXTURES.glob("*_*-*.json"))
EXAMPLES = FIXTURES / "r4-examples.ndjson"
SHARED_EXAMPLES = Path("/work/shared/data/fhir-r4-examples")
Resource = dict[str, Any]


@cache
def synthea_bundle(path: Path) -> Resource:
    """A Synthea transaction bundle with its `urn:uuid:` references rewritten to `Type/id`, as
    the store does before indexing."""
    text = path.read_text(encoding="utf-8")
    bundle = json.loads(text)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        text = text.replace(
            f'"{entry["fullUrl"]}"', f'"{resource["resourceType"]}/{resource["id"]}"'
        )
    return json.loads(text)


def synthea_resources(path: Path) -> list[Resource]:
    return [entry["resource"] for entry in synthea_bundle(path)["entry"]]


def example_resources() -> list[Resource]:
    with EXAMPLES.open(encoding="utf-8") as lines:
        return [resource for line in lines for resource in with_entries(json.loads(line))]


def with_entries(resource: Resource) -> Iterator[Resource]:
    """The resource, and the resources inside it when it is a Bundle."""
    yield resource
    for entry in resource.get("entry", ()) if resource.get("resourceType") == "Bundle" else ():
        if "resource" in entry:
            yield entry["resource"]
