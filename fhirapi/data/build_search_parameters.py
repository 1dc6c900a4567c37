"""Regenerate the compact search data the project carries from the official R4 definitions.

    .venv/bin/python fhirapi/data/build_search_parameters.py [/work/shared/data/fhir-r4]

Reads the R4 4.0.1 SearchParameter bundle, the base resource StructureDefinitions and the Patient
CompartmentDefinition, and writes `search-parameters.json` (the 1,375 base parameters, only the
fields search needs, plus every concrete resource type with its base) and `compartment-patient.json`
next to this script. The output is deterministic, so a rebuild shows as no diff.
"""

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = Path("/work/shared/data/fhir-r4")
OUTPUT_DIR = Path(__file__).resolve().parent
STANDARDS_STATUS = "http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status"
# The fields kept from each SearchParameter, in output order.
KEPT_FIELDS = (
    "url",
    "code",
    "base",
    "type",
    "expression",
    "target",
    "modifier",
    "comparator",
    "multipleOr",
    "multipleAnd",
    "component",
    "description",
)


def is_base_parameter(parameter: dict[str, Any]) -> bool:
    """The bundle also holds extension, genetics and example parameters; the 1,375 base ones are
    those carrying the standards-status extension."""
    return any(ext.get("url") == STANDARDS_STATUS for ext in parameter.get("extension", []))


def compact_parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    compact = {field: parameter[field] for field in KEPT_FIELDS if field in parameter}
    if "component" in compact:
        compact["component"] = [
            {"definition": part["definition"], "expression": part["expression"]}
            for part in compact["component"]
        ]
    return compact


def read_parameters(source: Path) -> list[dict[str, Any]]:
    bundle = json.loads((source / "search-parameters.json").read_text())
    parameters = [entry["resource"] for entry in bundle["entry"]]
    return [compact_parameter(p) for p in parameters if is_base_parameter(p)]


def read_resource_types(source: Path) -> dict[str, str]:
    """Every concrete resource type and the type it derives from (DomainResource or Resource)."""
    types: dict[str, str] = {}
    with (source / "structure-definitions-resources.ndjson").open() as lines:
        for line in lines:
            definition = json.loads(line)
            if definition.get("kind") == "resource" and not definition.get("abstract"):
                types[definition["type"]] = definition["baseDefinition"].rsplit("/", 1)[-1]
    return dict(sorted(types.items()))


def read_patient_compartment(source: Path) -> dict[str, Any]:
    """Resource type -> the parameters that put a resource in a Patient's compartment.

    The Patient entry gets "{def}" first: the specification's compartment tables write it for the
    resource that defines the compartment (a Patient is in its own compartment); the JSON leaves
    it implicit.
    """
    definition = json.loads((source / "CompartmentDefinition-patient.json").read_text())
    members = {
        entry["code"]: list(entry["param"])
        for entry in definition["resource"]
        if entry.get("param")
    }
    members["Patient"] = ["{def}", *members.get("Patient", [])]
    return {"url": definition["url"], "version": definition["version"], "resources": members}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """One top-level key per line and one list item or mapping entry per line: small, and a
    changed parameter shows as one changed line."""
    lines = []
    for key, value in data.items():
        lines.append(f"{json.dumps(key)}: {_block(value)}")
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def _block(value: Any) -> str:
    if isinstance(value, list):
        items = ",\n  ".join(_compact(item) for item in value)
        return f"[\n  {items}\n]"
    if isinstance(value, dict):
        items = ",\n  ".join(f"{json.dumps(k)}: {_compact(v)}" for k, v in value.items())
        return f"{{\n  {items}\n}}"
    return _compact(value)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build(source: Path, output_dir: Path = OUTPUT_DIR) -> None:
    parameters = read_parameters(source)
    write_json(
        output_dir / "search-parameters.json",
        {
            "fhirVersion": "4.0.1",
            "source": "hl7.fhir.r4.core 4.0.1 SearchParameter bundle (CC0), base parameters only",
            "resourceTypes": read_resource_types(source),
            "parameters": parameters,
        },
    )
    write_json(output_dir / "compartment-patient.json", read_patient_compartment(source))
    print(f"wrote {len(parameters)} search parameters to {output_dir}")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
