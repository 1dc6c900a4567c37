"""Structural validation of a resource's JSON against FHIR R4 (4.0.1).

The rules come from the official R4 StructureDefinitions, compacted into
`fhirapi/data/validation-r4-structure.json` (see validation-build-r4-structure.py beside it):
for every resource, datatype and backbone element, its JSON element names, types and
cardinality, its required binding and the resource types a Reference may point to. The walk
reports unknown elements, wrong JSON types, malformed primitives (dates, ids, codes, ...),
arrays where a single value belongs and the reverse, empty objects and arrays, more than one
type of a choice element, missing required elements, codes outside their required value set
(validation_bindings.py) and references to a type their element does not allow
(validation_targets.py). Each problem is one Issue located by a FHIRPath expression such as
`Patient.name[0].given[1]`.

Not checked: extensible and weaker bindings, required bindings on MIME types, UCUM units,
currencies and a LOINC answer list, that references resolve, and invariants other than ele-1
(no empty elements), ext-1 (an extension has a value or extensions, not both) and dom-2 (no
contained resources inside contained resources).

Why not the pydantic models of fhir.resources: it has no R4 package, only R4B, which lacks 18 R4
resource types and reshapes Evidence, EvidenceVariable and Extension.value[x]; and its models
coerce ("true" passes as a boolean, "2" as an integer, "1.5" as a decimal) and accept empty
arrays. This walk is also about five times faster on Synthea data (bench/bench_validation.py).
"""

import calendar
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from fhirapi.errors import BadRequest, InvalidResource, Issue
from fhirapi.store.resource_types import RESOURCE_TYPES
from fhirapi.store.validation_bindings import (
    ValueSet,
    code_problem,
    codeable_concept_problem,
    value_sets,
)
from fhirapi.store.validation_targets import ReferenceScope, target_problem
from fhirapi.store.validation_text import unstorable_location

STRUCTURE_FILE = Path(__file__).resolve().parents[1] / "data" / "validation-r4-structure.json"
MAX_ISSUES = 100
MAX_STRING_LENGTH = 1024 * 1024
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class Kind(Enum):
    PRIMITIVE = "primitive"
    COMPLEX = "complex"
    RESOURCE = "resource"


@dataclass(frozen=True, slots=True)
class ElementRule:
    type_code: str
    kind: Kind
    repeats: bool
    choice: str  # the choice group ("value" for valueQuantity), "" for a plain element
    check: Callable[[Any], str | None] | None  # for a primitive: what is wrong with a value
    value_set: ValueSet | None = None  # its required binding (a code or CodeableConcept)
    targets: frozenset[str] | None = None  # a Reference: the resource types it may point to


@dataclass(frozen=True, slots=True)
class TypeRules:
    elements: dict[str, ElementRule]
    required: tuple[str, ...]
    required_choices: dict[str, tuple[str, ...]]  # choice group -> its element names


# ---------------------------------------------------------------------------------------------
# Primitive types: each check returns what is wrong with a JSON value, or None.

CODE = re.compile(r"[^\s]+(\s[^\s]+)*")
ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
URI = re.compile(r"\S+")
OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
MONTH_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
DATE = re.compile(rf"{YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?")
DATE_TIME = re.compile(rf"{YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T{CLOCK}{ZONE})?)?)?")
INSTANT = re.compile(rf"{YEAR}{MONTH_DAY}T{CLOCK}{ZONE}")
TIME = re.compile(CLOCK)


def describe(value: Any) -> str:
    """A short description of a JSON value for diagnostics."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    names = {bool: "a boolean", int: "a number", float: "a number", dict: "an object"}
    return names.get(type(value), "an array" if isinstance(value, list) else "null")


def check_string(value: Any) -> str | None:
    if type(value) is not str:
        return f"expected a JSON string, got {describe(value)}"
    if not value:
        return "a string must not be empty"
    if len(value) > MAX_STRING_LENGTH:
        return "a string must not be longer than 1,048,576 characters"
    return None


def pattern_check(pattern: re.Pattern[str], type_code: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if type(value) is not str:
            return f"expected a JSON string ({type_code}), got {describe(value)}"
        if pattern.fullmatch(value) is None:
            return f"{describe(value)} is not a valid {type_code}"
        return None

    return check


def calendar_check(pattern: re.Pattern[str], type_code: str) -> Callable[[Any], str | None]:
    """A date/dateTime/instant check: the R4 pattern, then the day must exist in its month."""
    matches_pattern = pattern_check(pattern, type_code)

    def check(value: Any) -> str | None:
        problem = matches_pattern(value)
        if problem is None and len(value) >= 10 and value[8:10] > "28":
            year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
            if day > calendar.monthrange(year, month)[1]:
                return f"{describe(value)} is not a valid {type_code}: no such day"
        return problem

    return check


def check_base64(value: Any) -> str | None:
    if type(value) is not str:
        return f"expected a JSON string (base64Binary), got {describe(value)}"
    compact = "".join(value.split())
    if len(compact) % 4 or BASE64.fullmatch(compact) is None:
        return "not valid base64"
    return None


def check_xhtml(value: Any) -> str | None:
    if type(value) is not str:
        return f"expected a JSON string (xhtml), got {describe(value)}"
    if not value.lstrip().startswith("<div"):
        return "narrative must be an XHTML <div> element"
    return None


def check_boolean(value: Any) -> str | None:
    if type(value) is not bool:
        return f"expected true or false, got {describe(value)}"
    return None


def integer_check(minimum: int, type_code: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if type(value) is not int:
            return f"expected a whole JSON number ({type_code}), got {describe(value)}"
        if not minimum <= value <= INT32_MAX:
            return f"{value} is out of range for {type_code} ({minimum}..{INT32_MAX})"
        return None

    return check


def check_decimal(value: Any) -> str | None:
    if type(value) is int:
        return None
    if type(value) is float:
        return None if math.isfinite(value) else "a decimal must be a finite number"
    if type(value) is Decimal:
        return None if value.is_finite() else "a decimal must be a finite number"
    return f"expected a JSON number (decimal), got {describe(value)}"


PRIMITIVE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "string": check_string,
    "markdown": check_string,
    "code": pattern_check(CODE, "code"),
    "id": pattern_check(ID, "id"),
    "uri": pattern_check(URI, "uri"),
    "url": pattern_check(URI, "url"),
    "canonical": pattern_check(URI, "canonical"),
    "oid": pattern_check(OID, "oid"),
    "uuid": pattern_check(UUID, "uuid"),
    "base64Binary": check_base64,
    "xhtml": check_xhtml,
    "boolean": check_boolean,
    "integer": integer_check(INT32_MIN, "integer"),
    "unsignedInt": integer_check(0, "unsignedInt"),
    "positiveInt": integer_check(1, "positiveInt"),
    "decimal": check_decimal,
    "date": calendar_check(DATE, "date"),
    "dateTime": calendar_check(DATE_TIME, "dateTime"),
    "instant": calendar_check(INSTANT, "instant"),
    "time": pattern_check(TIME, "time"),
}


# ---------------------------------------------------------------------------------------------
# The structure table.


@dataclass(frozen=True, slots=True)
class Terminology:
    """The required bindings and Reference targets of one type, by element name."""

    bindings: dict[str, ValueSet]
    targets: dict[str, frozenset[str]]


def element_rule(
    type_code: str, max_cardinality: str, choice: str, terminology: Terminology, name: str
) -> ElementRule:
    if type_code in PRIMITIVE_CHECKS:
        kind = Kind.PRIMITIVE
    elif type_code == "Resource":
        kind = Kind.RESOURCE
    else:
        kind = Kind.COMPLEX
    check = PRIMITIVE_CHECKS.get(type_code)
    value_set = terminology.bindings.get(name)
    targets = terminology.targets.get(name)
    return ElementRule(type_code, kind, max_cardinality == "*", choice, check, value_set, targets)


def type_rules(raw: dict[str, list[Any]], terminology: Terminology) -> TypeRules:
    elements: dict[str, ElementRule] = {}
    required: list[str] = []
    required_choices: dict[str, list[str]] = {}
    for name, (type_code, minimum, maximum, choice) in raw.items():
        elements[name] = element_rule(type_code, maximum, choice, terminology, name)
        if minimum and choice:
            required_choices.setdefault(choice, []).append(name)
        elif minimum:
            required.append(name)
    choices = {group: tuple(names) for group, names in required_choices.items()}
    return TypeRules(elements, tuple(required), choices)


@cache
def structure() -> dict[str, TypeRules]:
    """The R4 rules of every resource, datatype and backbone element, by type name."""
    raw = json.loads(STRUCTURE_FILE.read_text(encoding="utf-8"))
    expansions = value_sets(raw["valueSets"])
    rules = {}
    for type_name, elements in raw["types"].items():
        bindings = raw["bindings"].get(type_name, {})
        targets = raw["targets"].get(type_name, {})
        terminology = Terminology(
            {name: expansions[url] for name, url in bindings.items()},
            {name: frozenset(types) for name, types in targets.items()},
        )
        rules[type_name] = type_rules(elements, terminology)
    return rules


# ---------------------------------------------------------------------------------------------
# The walk.


class TooManyIssues(Exception):
    """Raised inside the walk once MAX_ISSUES are collected."""


class Walker:
    """Walks one resource and collects its Issues."""

    def __init__(self, rules: dict[str, TypeRules], scope: ReferenceScope) -> None:
        self.rules = rules
        self.issues: list[Issue] = []
        self.scope = scope  # where the `#id` and urn references being walked resolve

    def report(self, code: str, diagnostics: str, location: str) -> None:
        if len(self.issues) >= MAX_ISSUES:
            self.issues.append(Issue("too-costly", "Too many issues; later ones are not listed"))
            raise TooManyIssues
        self.issues.append(Issue(code, diagnostics, expression=(location,)))

    def resource(self, value: Any, location: str, *, contained: bool = False) -> None:
        """A resource nested in another (contained, Bundle.entry.resource, parameter)."""
        if type(value) is not dict:
            self.report("structure", f"Expected a resource, got {describe(value)}", location)
            return
        resource_type = value.get("resourceType")
        if not isinstance(resource_type, str) or resource_type not in RESOURCE_TYPES:
            diagnostics = f"Unknown or missing resourceType {describe(resource_type)}"
            self.report("structure", diagnostics, location)
            return
        if contained:
            if "contained" in value:
                diagnostics = "A contained resource must not contain resources (dom-2)"
                self.report("invariant", diagnostics, f"{location}.contained")
            self.element_object(value, resource_type, location, is_resource=True)
            return
        outer = self.scope
        self.scope = ReferenceScope.of(value, outer)
        self.element_object(value, resource_type, location, is_resource=True)
        self.scope = outer

    def element_object(
        self, value: Any, type_name: str, location: str, *, is_resource: bool = False
    ) -> None:
        """A JSON object holding an element of a complex type (or a resource's body)."""
        if type(value) is not dict:
            self.report("structure", f"Expected an object, got {describe(value)}", location)
            return
        if not value:
            self.report("value", "An element must have a value or children (ele-1)", location)
            return
        rules = self.rules[type_name]
        elements = rules.elements
        choices_seen: dict[str, str] = {}
        for name, item in value.items():  # the hottest loop of validation: kept to few calls
            rule = elements.get(name)
            if rule is None:
                self.unlisted_element(value, name, item, rules, location, is_resource)
                continue
            if rule.choice:
                self.check_one_choice(choices_seen, rule.choice, name, location)
            if rule.repeats:
                self.repeating_element(value, name, item, rule, location)
            elif isinstance(item, list):
                diagnostics = "Expected a single value, not an array"
                self.report("structure", diagnostics, f"{location}.{name}")
            else:
                self.item(name, None, item, rule, location)
        if rules.required or rules.required_choices:
            self.check_required(value, rules, location)
        if type_name == "Extension":
            self.check_extension(value, location)

    def unlisted_element(
        self,
        parent: dict[str, Any],
        name: Any,
        value: Any,
        rules: TypeRules,
        location: str,
        is_resource: bool,
    ) -> None:
        """`resourceType`, a primitive's `_name` extension sibling, or an unknown element."""
        if is_resource and name == "resourceType":
            return
        if isinstance(name, str) and name.startswith("_"):
            rule = rules.elements.get(name[1:])
            if rule is not None and rule.kind is Kind.PRIMITIVE:
                self.primitive_extensions(parent, name[1:], value, rule, location)
                return
        self.report("structure", f"Unknown element {describe(name)}", f"{location}.{name}")

    def check_one_choice(self, seen: dict[str, str], group: str, name: str, location: str) -> None:
        if group in seen:
            diagnostics = f"Only one of {group}[x] is allowed, got {seen[group]} and {name}"
            self.report("structure", diagnostics, f"{location}.{name}")
        seen[group] = name

    def repeating_element(
        self, parent: dict[str, Any], name: str, value: Any, rule: ElementRule, location: str
    ) -> None:
        if not isinstance(value, list):
            self.report("structure", "Expected an array", f"{location}.{name}")
            return
        if not value:
            self.report("value", "An array must not be empty", f"{location}.{name}")
        extensions = parent.get("_" + name) if rule.check is not None else None
        for index, item in enumerate(value):
            if item is None and has_item(extensions, index):
                continue
            self.item(name, index, item, rule, location)

    def item(
        self, name: str, index: int | None, value: Any, rule: ElementRule, location: str
    ) -> None:
        """One value of element `name` (at `index` if it repeats) of the object at `location`.
        The value's own location is built only when needed: most values are valid primitives."""
        if rule.check is not None:
            problem = rule.check(value)
            if problem is not None:
                diagnostics = problem[0].upper() + problem[1:]
                self.report("value", diagnostics, child_location(location, name, index))
            elif rule.value_set is not None and value not in rule.value_set.codes:
                diagnostics = code_problem(value, rule.value_set)
                self.report("code-invalid", diagnostics, child_location(location, name, index))
        elif rule.kind is Kind.COMPLEX:
            where = child_location(location, name, index)
            self.element_object(value, rule.type_code, where)
            if rule.targets is not None and type(value) is dict:
                self.check_target(value, rule.targets, where)
            elif rule.value_set is not None and type(value) is dict:
                self.check_codeable_concept(value, rule.value_set, where)
        else:
            contained = name == "contained"
            self.resource(value, child_location(location, name, index), contained=contained)

    def check_target(self, value: dict[str, Any], targets: frozenset[str], location: str) -> None:
        """A Reference must point to one of `targets`, where the type it points to is known."""
        reference = value.get("reference")
        if type(reference) is not str:
            return
        target = self.scope.target_type(reference)
        if target is not None and target not in targets:
            diagnostics = target_problem(reference, target, targets)
            self.report("value", diagnostics, f"{location}.reference")

    def check_codeable_concept(
        self, value: dict[str, Any], value_set: ValueSet, location: str
    ) -> None:
        problem = codeable_concept_problem(value, value_set)
        if problem is not None:
            self.report("code-invalid", problem, location)

    def primitive_extensions(
        self, parent: dict[str, Any], name: str, value: Any, rule: ElementRule, location: str
    ) -> None:
        """`_name`: the id and extensions of primitive `name` (an array of them if it repeats)."""
        if not rule.repeats:
            self.element_object(value, "Element", f"{location}.{name}")
            return
        if not isinstance(value, list):
            self.report("structure", "Expected an array", f"{location}._{name}")
            return
        values = parent.get(name)
        if values is not None and (not isinstance(values, list) or len(values) != len(value)):
            self.report("structure", f"_{name} must line up with {name}", f"{location}._{name}")
            return
        for index, item in enumerate(value):
            if item is not None:
                self.element_object(item, "Element", f"{location}.{name}[{index}]")
            elif values is None:  # else the walk of `name` reports a null on both sides
                self.report("value", "Null with no value beside it", f"{location}.{name}[{index}]")

    def check_required(self, value: dict[str, Any], rules: TypeRules, location: str) -> None:
        for name in rules.required:
            if name not in value and "_" + name not in value:
                self.report("required", f"Missing required element {name!r}", f"{location}.{name}")
        for group, names in rules.required_choices.items():
            if not any(name in value or "_" + name in value for name in names):
                diagnostics = f"Missing required element {group}[x]"
                self.report("required", diagnostics, f"{location}.{group}[x]")

    def check_extension(self, value: dict[str, Any], location: str) -> None:
        has_value = any(isinstance(name, str) and name.startswith("value") for name in value)
        if has_value and "extension" in value:
            diagnostics = "An extension must not have both a value[x] and extensions (ext-1)"
            self.report("invariant", diagnostics, location)
        elif not has_value and "extension" not in value:
            diagnostics = "An extension must have a value[x] or extensions (ext-1)"
            self.report("invariant", diagnostics, location)


def child_location(location: str, name: str, index: int | None) -> str:
    return f"{location}.{name}" if index is None else f"{location}.{name}[{index}]"


def has_item(values: Any, index: int) -> bool:
    """True when `values` is a list with a non-null item at `index`."""
    return isinstance(values, list) and index < len(values) and values[index] is not None


# ---------------------------------------------------------------------------------------------
# The public entry point.


def validate_resource(resource: Any, *, expected_type: str | None = None) -> None:
    """Check `resource` (parsed JSON) against R4.

    Raises BadRequest when it is not a resource at all (not an object, no or unknown
    resourceType, or not `expected_type`), and InvalidResource with one Issue per problem
    when it is a resource that breaks the R4 structure.
    """
    resource_type = checked_resource_type(resource, expected_type)
    unstorable = unstorable_location(resource, resource_type)
    if unstorable is not None:
        message = f"{unstorable}: a NUL character or lone surrogate, which FHIR strings exclude"
        raise InvalidResource(message, issues=[Issue("value", message, expression=(unstorable,))])
    walker = Walker(structure(), ReferenceScope.of(resource, None))
    try:
        walker.element_object(resource, resource_type, resource_type, is_resource=True)
    except TooManyIssues:
        pass
    except RecursionError:
        raise BadRequest("The resource is nested too deeply to process") from None
    if walker.issues:
        count = len(walker.issues)
        message = f"{resource_type} is not valid R4: {walker.issues[0].diagnostics}"
        if count > 1:
            message += f" (and {count - 1} more issues)"
        raise InvalidResource(message, issues=walker.issues)


def checked_resource_type(resource: Any, expected_type: str | None) -> str:
    if not isinstance(resource, dict):
        raise BadRequest(f"Expected a resource (a JSON object), got {describe(resource)}")
    resource_type = resource.get("resourceType")
    if resource_type is None:
        raise BadRequest("The resource has no resourceType", expression=["resourceType"])
    if not isinstance(resource_type, str) or resource_type not in RESOURCE_TYPES:
        diagnostics = f"Unknown resourceType {describe(resource_type)}"
        raise BadRequest(diagnostics, expression=["resourceType"])
    if expected_type is not None and resource_type != expected_type:
        diagnostics = f"Expected a {expected_type} resource, got {resource_type}"
        raise BadRequest(diagnostics, expression=["resourceType"])
    return resource_type
