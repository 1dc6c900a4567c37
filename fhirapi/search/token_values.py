"""Token parameters (search.html, token): Coding system|code; each coding of a CodeableConcept
plus its text; Identifier system|value with its type codings for :of-type; ContactPoint value
(no system); code, boolean, id, uri and string values as a code with no system."""

from typing import Any

from fhirapi.search.index_rows import TokenRow
from fhirapi.search.string_values import normalize


def token_rows(param: str, nodes: list[tuple[Any, str]], out: list[TokenRow]) -> None:
    for value, kind in nodes:
        value_class = value.__class__
        if value_class is str:
            out.append(TokenRow(param, None, value, None))
        elif value_class is bool:
            out.append(TokenRow(param, None, "true" if value else "false", None))
        elif value_class is int:
            out.append(TokenRow(param, None, str(value), None))
        elif value_class is dict:
            _complex_rows(param, value, kind, out)


def _complex_rows(param: str, value: dict, kind: str, out: list[TokenRow]) -> None:
    if kind == "CodeableConcept" or "coding" in value:
        _codeable_concept_rows(param, value, out)
    elif kind == "Identifier" or (kind != "ContactPoint" and "value" in value):
        _identifier_rows(param, value, out)
    elif kind == "ContactPoint":
        if value.get("value").__class__ is str:
            out.append(TokenRow(param, None, value["value"], None))
    else:
        _coding_row(param, value, out)


def _text(value: Any) -> str | None:
    return normalize(value) if value.__class__ is str else None


def _coding_row(param: str, coding: dict, out: list[TokenRow]) -> str | None:
    """Append the row for one Coding; return its normalized display."""
    code, display = coding.get("code"), _text(coding.get("display"))
    if code is not None or display is not None:
        out.append(TokenRow(param, coding.get("system"), code, display))
    return display


def _codeable_concept_rows(param: str, concept: dict, out: list[TokenRow]) -> None:
    displays = {_coding_row(param, coding, out) for coding in concept.get("coding") or ()}
    text = _text(concept.get("text"))
    if text is not None and text not in displays:
        out.append(TokenRow(param, None, None, text))


def _identifier_rows(param: str, identifier: dict, out: list[TokenRow]) -> None:
    system, value = identifier.get("system"), identifier.get("value")
    if system is None and value is None:
        return
    identifier_type = identifier.get("type") or {}
    text = _text(identifier_type.get("text"))
    type_codings = [c for c in identifier_type.get("coding") or () if c.get("code")]
    if not type_codings:
        out.append(TokenRow(param, system, value, text))
    for coding in type_codings:
        out.append(TokenRow(param, system, value, text, coding.get("system"), coding["code"]))
