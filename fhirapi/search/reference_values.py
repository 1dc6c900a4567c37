"""Reference and uri parameters.

A Reference gives its target type and id for a local `Type/id` (a `/_history/n` version is
dropped), the URL for an absolute or `urn:` reference (with the type when the URL or
Reference.type tells it), and Reference.identifier for `:identifier`. A contained `#id` reference
is not searchable and gives a row only when it carries an identifier. Canonical and uri values
(`Measure.library`, `ConceptMap.source as uri`) are kept as the URL; a resource reached by the
expression (`Bundle.entry[0].resource`) gives its own type and id.
"""

from typing import Any

from fhirapi.search.index_rows import ReferenceRow, UriRow
from fhirapi.search.references import parse_reference, reference_target_type


def reference_rows(param: str, nodes: list[tuple[Any, str]], out: list[ReferenceRow]) -> None:
    for value, _kind in nodes:
        if value.__class__ is str:
            out.append(ReferenceRow(param, None, None, value))
        elif value.__class__ is dict:
            row = _resource_row(param, value) or _reference_row(param, value)
            if row is not None:
                out.append(row)


def _resource_row(param: str, resource: dict) -> ReferenceRow | None:
    resource_type = resource.get("resourceType")
    if resource_type is None:
        return None
    return ReferenceRow(param, resource_type, resource.get("id"), None)


def _reference_row(param: str, reference: dict) -> ReferenceRow | None:
    identifier = reference.get("identifier")
    system = value = None
    if identifier.__class__ is dict:
        system, value = identifier.get("system"), identifier.get("value")
    text = reference.get("reference")
    parsed = parse_reference(text) if text.__class__ is str else None
    if parsed is not None and not parsed.contained:
        target_type = parsed.type or reference_target_type(reference)
        return ReferenceRow(param, target_type, parsed.id, parsed.url, system, value)
    if system is None and value is None:
        return None
    target_type = None if parsed is not None else reference_target_type(reference)
    return ReferenceRow(param, target_type, None, None, system, value)


def uri_rows(param: str, nodes: list[tuple[Any, str]], out: list[UriRow]) -> None:
    for value, _kind in nodes:
        if value.__class__ is str:
            out.append(UriRow(param, value))
