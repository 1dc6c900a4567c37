"""Evaluate, with fhirpathpy, the FHIRPath the compiler does not understand.

Each expression is parsed once (fhirpathpy's `compile`), printed first through our parser so that
it means what compiled expressions mean (`to_fhirpathpy_text`), and given `resolve()` as a stub of
the referenced type (`fhirpath_runtime.resolve_stub`). Results come back as the compiled
accessors' `(value, static type)` pairs.
"""

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import FP_Type, ResourceNode
from fhirpathpy.models import models

from fhirapi.search.fhirpath_parse import FhirPathSyntaxError, parse, to_fhirpathpy_text
from fhirapi.search.fhirpath_runtime import resolve_stub
from fhirapi.search.fhirpath_types import PRIMITIVE_TYPES, UNKNOWN

logger = logging.getLogger(__name__)


def _resolve(references: list[Any]) -> list[ResourceNode]:
    stubs = (resolve_stub(reference) for reference in references)
    return [ResourceNode.create_node(stub, stub["resourceType"]) for stub in stubs if stub]


OPTIONS: dict[str, Any] = {
    "userInvocationTable": {"resolve": {"fn": _resolve, "arity": {0: []}}},
    "returnRawData": True,
}


def fhirpathpy_text(expression: str) -> str:
    """The expression as fhirpathpy should be given it (unchanged if our parser rejects it)."""
    try:
        return to_fhirpathpy_text(parse(expression))
    except FhirPathSyntaxError:
        return expression


def fallback_evaluator(
    expression: str, resource_type: str, context_type: str | None
) -> Callable[..., list[tuple[Any, str]]]:
    """A function `(resource, focus=None) -> [(value, static type)]` backed by fhirpathpy."""
    text = fhirpathpy_text(expression)
    try:
        compiled = fhirpathpy.compile(text, model=models["r4"], options=OPTIONS)
    except Exception:  # fhirpathpy raises bare Exceptions on what it cannot parse
        logger.warning("unusable search expression %r on %s", expression, resource_type)
        return lambda resource, focus=None: []

    def evaluate(resource: dict[str, Any], focus: Any = None) -> list[tuple[Any, str]]:
        start = resource if context_type is None else ResourceNode.create_node(focus, context_type)
        try:
            nodes = compiled(start, {"resource": resource, "rootResource": resource})
        except Exception:  # a runtime error in fhirpathpy must not stop indexing
            logger.warning("search expression %r failed on a %s", expression, resource_type)
            return []
        return [pair for pair in map(_pair, nodes) if pair is not None]

    return evaluate


def _pair(node: Any) -> tuple[Any, str] | None:
    if isinstance(node, ResourceNode):
        data, path = node.data, node.path
        if _is_primitive_extension(data, path):
            return None
        return data, path or UNKNOWN
    if isinstance(node, bool):
        return node, "boolean"
    if isinstance(node, int):
        return node, "integer"
    if isinstance(node, Decimal | float):
        return node, "decimal"
    if isinstance(node, FP_Type):
        return str(node), "dateTime"
    return node, "string" if isinstance(node, str) else UNKNOWN


def _is_primitive_extension(data: Any, path: str | None) -> bool:
    """fhirpathpy also returns the `_element` object of a primitive (its id and extensions)."""
    return isinstance(data, dict) and path in PRIMITIVE_TYPES
