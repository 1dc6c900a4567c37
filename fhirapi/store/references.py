"""Finding, parsing and rewriting the references inside a resource.

A reference here is the `reference` string of a Reference element. Elements are found by their
R4 type (the structure table of fhirapi.store.validation), so a `reference` that is not a
Reference (DetectedIssue.reference, Expression.reference: both URIs) is never taken for one.
The walk covers extensions (valueReference), primitive extensions (`_birthDate`), backbone
elements, contained resources and resources nested in Bundle and Parameters. Functions here
expect a resource that has passed validate_resource.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import cache
from typing import Any

from fhirapi.errors import Issue
from fhirapi.store.resource_types import RESOURCE_TYPES
from fhirapi.store.validation import Kind, structure

ID = r"[A-Za-z0-9\-.]{1,64}"
RESOURCE_PATH = re.compile(rf"(?P<type>[A-Za-z]+)/(?P<id>{ID})(/_history/(?P<version>{ID}))?")
ABSOLUTE_TAIL = re.compile(rf"/(?P<type>[A-Za-z]+)/(?P<id>{ID})(/_history/(?P<version>{ID}))?$")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
URN_UUID = re.compile(r"urn:uuid:[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
URN_OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
CONTAINED_ID = re.compile(rf"#({ID})?")


class ReferenceKind(StrEnum):
    RELATIVE = "relative"  # Patient/123, or an absolute URL on our own base
    VERSIONED = "versioned"  # Patient/123/_history/2
    ABSOLUTE = "absolute"  # a URL (or URN) elsewhere
    URN_UUID = "urn:uuid"  # urn:uuid:..., a Bundle entry's fullUrl
    URN_OID = "urn:oid"
    CONTAINED = "contained"  # #id, or "#" for the containing resource
    CONDITIONAL = "conditional"  # Patient?identifier=...


@dataclass(frozen=True, slots=True)
class ParsedReference:
    kind: ReferenceKind
    reference: str  # the string as written
    resource_type: str | None = None  # set for relative, versioned, conditional; and absolute
    resource_id: str | None = None  # URLs that end in Type/id
    version_id: str | None = None
    query: str | None = None  # conditional: the search after "?"
    contained_id: str | None = None  # contained: the id after "#" ("" for the container)

    @property
    def relative(self) -> str | None:
        """`Type/id` when the reference names a resource by type and id."""
        if self.resource_type is None or self.resource_id is None:
            return None
        return f"{self.resource_type}/{self.resource_id}"


@dataclass(frozen=True, slots=True)
class ReferenceSite:
    location: str  # FHIRPath of the Reference element, e.g. Observation.subject
    reference: str

    @property
    def is_contained(self) -> bool:
        """True for `#id`: it points into the resource itself, not at a stored resource."""
        return self.reference.startswith("#")


class InvalidReference(ValueError):
    """The string is not a reference this server can interpret."""


# ---------------------------------------------------------------------------------------------
# Parsing.


def parse_reference(ref: str, *, base_url: str | None) -> ParsedReference:
    """Classify `ref`; absolute URLs under `base_url` (our own FHIR base) become relative.

    Raises InvalidReference when `ref` is none of the kinds of ReferenceKind.
    """
    if not ref or ref != ref.strip() or " " in ref:
        raise InvalidReference(f"{ref!r} is not a reference: empty or has spaces")
    if ref.startswith("#"):
        return parse_contained(ref)
    if ref.startswith("urn:"):
        return parse_urn(ref)
    base = base_url.rstrip("/") + "/" if base_url else None
    if base is not None and ref.startswith(base):
        return parse_local(ref, ref[len(base) :])
    if SCHEME.match(ref):
        return parse_absolute(ref)
    return parse_local(ref, ref)


def parse_contained(ref: str) -> ParsedReference:
    if CONTAINED_ID.fullmatch(ref) is None:
        raise InvalidReference(f"{ref!r} is not a valid contained reference (#id)")
    return ParsedReference(ReferenceKind.CONTAINED, ref, contained_id=ref[1:])


def parse_urn(ref: str) -> ParsedReference:
    if URN_UUID.fullmatch(ref):
        return ParsedReference(ReferenceKind.URN_UUID, ref)
    if URN_OID.fullmatch(ref):
        return ParsedReference(ReferenceKind.URN_OID, ref)
    if ref.startswith(("urn:uuid:", "urn:oid:")):
        raise InvalidReference(f"{ref!r} is not a valid {ref[:8].rstrip(':')}")
    return ParsedReference(ReferenceKind.ABSOLUTE, ref)


def parse_absolute(ref: str) -> ParsedReference:
    """Another server's URL; its type and id are kept when it ends like a FHIR resource URL."""
    match = ABSOLUTE_TAIL.search(ref.split("?", 1)[0])
    if match is None or match["type"] not in RESOURCE_TYPES:
        return ParsedReference(ReferenceKind.ABSOLUTE, ref)
    return ParsedReference(
        ReferenceKind.ABSOLUTE, ref, match["type"], match["id"], version_id=match["version"]
    )


def parse_local(ref: str, path: str) -> ParsedReference:
    """`path` is `Type/id`, `Type/id/_history/vid` or `Type?search` (relative to our base)."""
    if "?" in path:
        resource_type, query = path.split("?", 1)
        check_resource_type(ref, resource_type)
        if not query:
            raise InvalidReference(f"{ref!r}: a conditional reference needs search parameters")
        return ParsedReference(ReferenceKind.CONDITIONAL, ref, resource_type, query=query)
    match = RESOURCE_PATH.fullmatch(path)
    if match is None:
        raise InvalidReference(f"{ref!r} is not of the form Type/id or Type/id/_history/vid")
    check_resource_type(ref, match["type"])
    kind = ReferenceKind.VERSIONED if match["version"] else ReferenceKind.RELATIVE
    return ParsedReference(kind, ref, match["type"], match["id"], version_id=match["version"])


def check_resource_type(ref: str, resource_type: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise InvalidReference(f"{ref!r}: {resource_type!r} is not an R4 resource type")


# ---------------------------------------------------------------------------------------------
# Finding Reference elements.


@dataclass(frozen=True, slots=True)
class FoundReference:
    location: str
    element: dict[str, Any]  # the Reference element itself
    scope: dict[str, Any]  # the resource whose `contained` a "#id" points into


def reference_elements(resource: dict[str, Any]) -> list[FoundReference]:
    """Every Reference element with a string `reference`, in document order."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in RESOURCE_TYPES:
        raise ValueError(f"Not a resource: resourceType {resource_type!r}")
    found: list[FoundReference] = []
    walk(resource, resource_type, resource_type, resource, found)
    return found


class _Step(Enum):
    COMPLEX = 1
    REFERENCE = 2  # a complex element of type Reference
    RESOURCE = 3
    EXTENSIONS = 4  # `_name`: the id and extensions of element `name`


@cache
def _steps(type_name: str) -> dict[str, tuple[_Step, str]]:
    """The elements of a type that can hold a Reference, with their types: every element but
    the primitives (most of the elements a walk meets, each then passed over in one look-up)."""
    steps: dict[str, tuple[_Step, str]] = {}
    elements = structure()[type_name].elements
    for name in elements:
        if f"_{name}" not in elements:
            steps[f"_{name}"] = (_Step.EXTENSIONS, "Element")
    for name, rule in elements.items():
        if rule.kind is Kind.RESOURCE:
            steps[name] = (_Step.RESOURCE, "")
        elif rule.kind is Kind.COMPLEX:
            reference = rule.type_code == "Reference"
            steps[name] = (_Step.REFERENCE if reference else _Step.COMPLEX, rule.type_code)
    return steps


def walk(
    value: dict[str, Any],
    type_name: str,
    location: str,
    scope: dict[str, Any],
    found: list[FoundReference],
) -> None:
    """Append the Reference elements in `value` (an element of type `type_name`) to `found`."""
    steps = _steps(type_name)
    for name, child in value.items():
        step = steps.get(name)
        if step is None:
            continue
        kind, child_type = step
        if kind is _Step.EXTENSIONS:
            for child_location, item in items(child, f"{location}.{name[1:]}"):
                walk(item, child_type, child_location, scope, found)
        elif kind is _Step.RESOURCE:
            for child_location, item in items(child, f"{location}.{name}"):
                resource_type = item.get("resourceType")
                if isinstance(resource_type, str) and resource_type in RESOURCE_TYPES:
                    child_scope = scope if name == "contained" else item
                    walk(item, resource_type, child_location, child_scope, found)
        else:
            for child_location, item in items(child, f"{location}.{name}"):
                if kind is _Step.REFERENCE and isinstance(item.get("reference"), str):
                    found.append(FoundReference(child_location, item, scope))
                walk(item, child_type, child_location, scope, found)


def items(value: Any, location: str) -> list[tuple[str, dict[str, Any]]]:
    """The objects of an element, single or repeating, with their locations."""
    if isinstance(value, dict):
        return [(location, value)]
    if isinstance(value, list):
        return [
            (f"{location}[{i}]", item) for i, item in enumerate(value) if isinstance(item, dict)
        ]
    return []


# ---------------------------------------------------------------------------------------------
# The public operations on references.


def iter_references(resource: dict[str, Any]) -> Iterator[ReferenceSite]:
    """Every Reference.reference in the resource, with the location of its Reference."""
    for found in reference_elements(resource):
        yield ReferenceSite(found.location, found.element["reference"])


def rewrite_references(
    resource: dict[str, Any], mapping: Callable[[str], str | None]
) -> dict[str, Any]:
    """A copy of `resource` with each Reference.reference `r` replaced by `mapping(r)`,
    where that is not None (urn:uuid:... -> Patient/123 in a transaction)."""
    rewritten = json_copy(resource)
    replace_references(rewritten, mapping)
    return rewritten


def replace_references(resource: dict[str, Any], mapping: Callable[[str], str | None]) -> None:
    """rewrite_references without the copy: changes `resource` itself (the import's freshly
    parsed resources, which nothing else holds)."""
    for found in reference_elements(resource):
        replacement = mapping(found.element["reference"])
        if replacement is not None:
            found.element["reference"] = replacement


def check_contained_references(resource: dict[str, Any]) -> list[Issue]:
    """An Issue for each `#id` that names no resource in the `contained` it points into."""
    issues = []
    for found in reference_elements(resource):
        reference = found.element["reference"]
        if reference[:1] != "#" or reference == "#":
            continue
        if reference[1:] not in contained_ids(found.scope):
            diagnostics = f"{reference!r} matches no contained resource"
            issues.append(Issue("not-found", diagnostics, expression=(found.location,)))
    return issues


def contained_ids(resource: dict[str, Any]) -> set[str]:
    contained = resource.get("contained")
    if not isinstance(contained, list):
        return set()
    return {item.get("id") for item in contained if isinstance(item, dict)} - {None}


def json_copy(value: Any) -> Any:
    """A copy of parsed JSON: new dicts and lists, shared immutable leaves."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value
