"""Helpers the compiled FHIRPath accessors call: FHIRPath equality, three-valued logic, and
`resolve()` without a server.

`resolve()` cannot fetch anything while indexing, so it yields a stub `{"resourceType", "id"}` of
the type the Reference names (see `references.reference_target_type`): enough for the only thing
search expressions ask of it, `resolve() is Patient`. The fhirpathpy fallback uses the same stub.
"""

from decimal import Decimal
from typing import Any

from fhirapi.search.fhirpath_types import r4_model
from fhirapi.search.references import parse_reference, reference_target_type

Truth = bool | None  # FHIRPath's three-valued logic: None is the empty collection


def resolve_stub(reference: Any) -> dict[str, Any] | None:
    target_type = reference_target_type(reference)
    if target_type is None:
        return None
    text = reference.get("reference")
    target_id = parse_reference(text).id if text.__class__ is str else None
    return {"resourceType": target_type, "id": target_id}


def reference_is(reference: Any, type_name: str) -> Truth:
    """`resolve() is <type_name>` on one Reference."""
    target_type = reference_target_type(reference)
    if target_type is None:
        return None
    return r4_model().is_subtype(target_type, type_name)


def value_is(value: Any, type_name: str) -> bool:
    """`is` for a value whose static type is unknown: resources by resourceType, JSON scalars by
    their JSON kind."""
    if value.__class__ is dict:
        resource_type = value.get("resourceType")
        return resource_type is not None and bool(r4_model().is_subtype(resource_type, type_name))
    expected = _JSON_KINDS.get(type_name)
    return expected is not None and value.__class__ in expected


_JSON_KINDS: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "string": (str,),
    "integer": (int,),
    "decimal": (float, Decimal, int),
}


def items_equal(left: Any, right: Any) -> bool:
    if left.__class__ is bool or right.__class__ is bool:
        return left.__class__ is right.__class__ and left == right
    if _is_number(left) and _is_number(right):
        return Decimal(str(left)) == Decimal(str(right))
    return left == right


def _is_number(value: Any) -> bool:
    return value.__class__ in (int, float, Decimal)


def equals(left: list[Any], right: list[Any]) -> Truth:
    """FHIRPath `=`: empty if either side is empty, else item-wise equality in order."""
    if not left or not right:
        return None
    return len(left) == len(right) and all(map(items_equal, left, right))


def not_equals(left: list[Any], right: list[Any]) -> Truth:
    result = equals(left, right)
    return None if result is None else not result


def logical_and(left: Truth, right: Truth) -> Truth:
    if left is False or right is False:
        return False
    return None if left is None or right is None else True


def logical_or(left: Truth, right: Truth) -> Truth:
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


def logical_xor(left: Truth, right: Truth) -> Truth:
    return None if left is None or right is None else left != right


def logical_implies(left: Truth, right: Truth) -> Truth:
    if left is False or right is True:
        return True
    return None if left is None or right is None else False


def logical_not(value: Truth) -> Truth:
    return None if value is None else not value


def singleton_truth(values: list[Any]) -> Truth:
    """A collection used as a boolean: empty is empty, a single boolean is itself, any other
    single item is true; more than one item is an error in FHIRPath, read here as empty."""
    if len(values) != 1:
        return None
    value = values[0]
    return value if value.__class__ is bool else True


def where_truth(values: list[Any]) -> bool:
    """How `where()` reads its criteria (as fhirpathpy does): the first result decides."""
    if not values:
        return False
    return values[0] if values[0].__class__ is bool else True


def has_extension(values: list[Any], url: str) -> Truth:
    if not values:
        return None
    for value in values:
        extensions = value.get("extension") if value.__class__ is dict else None
        if extensions and any(ext.get("url") == url for ext in extensions):
            return True
    return False
