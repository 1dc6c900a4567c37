"""A brute-force search evaluator, to check the engine against: it evaluates a query over the raw
JSON of every resource, in plain Python, from the rows `extract_index_values` gives and the
matching rules of search.html (the prefix semantics documented in `sql_date` and `sql_number`).

It shares only the value readers with the engine (normalization, date ranges, UCUM units, the
registry); the parsing of the query, the modifiers and every comparison are written again here.
"""

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fhirapi.search.date_values import date_range
from fhirapi.search.extract import extract_index_values
from fhirapi.search.index_rows import IndexValues
from fhirapi.search.references import parse_reference
from fhirapi.search.registry import ParamType, get_parameter
from fhirapi.search.string_values import normalize
from fhirapi.search.text_values import content_text, narrative_text, words
from fhirapi.search.ucum_units import UCUM_SYSTEM, canonical_unit

Resource = dict[str, Any]
INF = Decimal("Infinity")
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
_UNESCAPED_BAR = re.compile(r"(?<!\\)\|")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


class Evaluator:
    def __init__(self, resources: list[Resource], *, base_urls: tuple[str, ...], now: datetime):
        self.resources = resources
        self.base_urls = base_urls
        self.now = now
        self.values = {id(r): localized(extract_index_values(r), base_urls) for r in resources}
        self.by_identity = {(r["resourceType"], r["id"]): r for r in resources}

    def matches(self, resource_type: str, params: list[tuple[str, str]]) -> set[str]:
        return {
            r["id"]
            for r in self.resources
            if r["resourceType"] == resource_type
            and all(self.criterion(r, key, value) for key, value in params)
        }

    def criterion(self, resource: Resource, key: str, value: str) -> bool:
        if "." in key:
            return self.chained(resource, key, value)
        code, _, modifier = key.partition(":")
        param = get_parameter(resource["resourceType"], code)
        values = self.values[id(resource)]
        alternatives = _UNESCAPED_COMMA.split(value)
        if modifier == "missing":
            return (value == "true") != self.has_value(resource, values, param)
        if modifier == "not":
            return not any(self.one(resource, values, param, None, v) for v in alternatives)
        return any(self.one(resource, values, param, modifier or None, v) for v in alternatives)

    def chained(self, resource: Resource, key: str, value: str) -> bool:
        """`reference[:Type].rest`: some target of the reference meets `rest`."""
        head, rest = key.split(".", 1)
        code, _, modifier = head.partition(":")
        param = get_parameter(resource["resourceType"], code)
        inner_code = rest.partition(".")[0].partition(":")[0]
        targets = [modifier] if modifier else param.targets
        targets = [t for t in targets if get_parameter(t, inner_code) is not None]
        for row in self.values[id(resource)].references:
            if row.param != code or row.target_type not in targets:
                continue
            target = self.by_identity.get((row.target_type, row.target_id))
            if target is not None and self.criterion(target, rest, value):
                return True
        return False

    def has_value(self, resource: Resource, values: IndexValues, param) -> bool:
        if param.code in ("_id", "_lastUpdated"):
            return True
        return param.code in values.params_with_values()

    def one(self, resource: Resource, values: IndexValues, param, modifier, raw: str) -> bool:
        code = param.code
        if code == "_id":
            return resource["id"] == unescape(raw)
        if code == "_lastUpdated":
            moment = datetime.fromisoformat(resource["meta"]["lastUpdated"].replace("Z", "+00:00"))
            return self.date_matches(raw, moment, moment)
        if code in ("_text", "_content"):
            text = narrative_text(resource) if code == "_text" else content_text(resource)
            return set(words(unescape(raw))) <= set(words(text))
        if param.type == ParamType.COMPOSITE:
            return self.composite(values, param, raw)
        rows = [row for row in _rows(values, param.type) if row.param == code]
        test = self.row_test(param.type, modifier, raw)
        return any(test(row) for row in rows)

    def row_test(self, kind: ParamType, modifier: str | None, raw: str) -> Callable[[Any], bool]:
        tests = {
            ParamType.STRING: string_test,
            ParamType.TOKEN: token_test,
            ParamType.DATE: lambda m, r: lambda row: self.date_matches(r, row.low, row.high),
            ParamType.NUMBER: number_test,
            ParamType.QUANTITY: quantity_test,
            ParamType.REFERENCE: lambda m, r: reference_test(m, r, self.base_urls),
            ParamType.URI: uri_test,
        }
        return tests[kind](modifier, raw)

    def composite(self, values: IndexValues, param, raw: str) -> bool:
        parts = _UNESCAPED_DOLLAR.split(raw)
        tests = [
            self.row_test(c.type, None, p) for c, p in zip(param.components, parts, strict=True)
        ]
        return any(
            all(test(part) for test, part in zip(tests, row.parts, strict=True))
            for row in values.composites
            if row.param == param.code
        )

    def date_matches(self, raw: str, low: datetime, high: datetime) -> bool:
        prefix, text = split_prefix(unescape(raw))
        search_low, search_high, _ = date_range(text.replace(" ", "+"))
        within = low >= search_low and high <= search_high
        if prefix == "ap":
            margin = abs(self.now - search_low) / 10
            return low <= search_high + margin and high >= search_low - margin
        return {
            "eq": within,
            "ne": not within,
            "gt": high > search_high,
            "lt": low < search_low,
            "ge": high > search_high or within,
            "le": low < search_low or within,
            "sa": low > search_high,
            "eb": high < search_low,
        }[prefix]


def _rows(values: IndexValues, kind: ParamType) -> list:
    return {
        ParamType.STRING: values.strings,
        ParamType.TOKEN: values.tokens,
        ParamType.DATE: values.dates,
        ParamType.NUMBER: values.numbers,
        ParamType.QUANTITY: values.quantities,
        ParamType.REFERENCE: values.references,
        ParamType.URI: values.uris,
    }[kind]


def localized(values: IndexValues, base_urls: tuple[str, ...]) -> IndexValues:
    """Absolute references to this server, as the local references they are."""
    rows = []
    for row in values.references:
        for base in base_urls:
            if row.url and row.url.startswith(base + "/"):
                parsed = parse_reference(row.url[len(base) + 1 :])
                if parsed.id and not parsed.contained:
                    row = row._replace(target_type=parsed.type, target_id=parsed.id, url=None)
        rows.append(row)
    values.references = rows
    return values


def unescape(text: str) -> str:
    return re.sub(r"\\([,|$\\])", r"\1", text)


def split_prefix(text: str) -> tuple[str, str]:
    return (text[:2], text[2:]) if text[:2] in _PREFIXES else ("eq", text)


def string_test(modifier: str | None, raw: str) -> Callable[[Any], bool]:
    text = unescape(raw)
    wanted = normalize(text)
    if modifier == "exact":
        return lambda row: row.exact == text
    if modifier == "contains":
        return lambda row: wanted in row.normalized
    return lambda row: row.normalized.startswith(wanted)


def token_test(modifier: str | None, raw: str) -> Callable[[Any], bool]:
    if modifier == "text":
        wanted = normalize(unescape(raw))
        return lambda row: (
            row.text is not None and (row.text.startswith(wanted) or f" {wanted}" in row.text)
        )
    parts = [unescape(p) for p in _UNESCAPED_BAR.split(raw)]
    if modifier == "of-type":
        return lambda row: (row.type_system, row.type_code, row.code) == tuple(parts)
    return system_code_test(parts, lambda row: (row.system, row.code))


def system_code_test(parts: list[str], pick: Callable) -> Callable[[Any], bool]:
    code = parts[-1]
    system = parts[0] if len(parts) == 2 else None

    def test(row) -> bool:
        row_system, row_code = pick(row)
        if code and row_code != code:
            return False
        if system == "":
            return row_system is None
        return system is None or row_system == system

    return test


def _decimal(text: str) -> Decimal:
    number = Decimal(text)
    if not number.is_finite():
        raise InvalidOperation(text)
    return number


def number_compare(prefix: str, low, high, number: Decimal, scale: Decimal = Decimal(1)) -> bool:
    """The number prefixes (sql_number) on one value's [low, high] (None: unbounded)."""
    half = Decimal((0, (5,), number.as_tuple().exponent - 1))
    value, search_low, search_high = (
        number * scale,
        (number - half) * scale,
        (number + half) * scale,
    )
    low = -INF if low is None else low
    high = INF if high is None else high
    if prefix in ("eq", "ne"):
        return (low >= search_low and high < search_high) == (prefix == "eq")
    if prefix == "ap":
        margin = max(abs(value) / 10, value - search_low)
        return low <= value + margin and high >= value - margin
    return {
        "gt": high > value,
        "ge": high >= value,
        "lt": low < value,
        "le": low <= value,
        "sa": low > value,
        "eb": high < value,
    }[prefix]


def _bounds(value, low, high) -> tuple:
    return (value, value) if value is not None else (low, high)


def number_test(modifier: str | None, raw: str) -> Callable[[Any], bool]:
    prefix, text = split_prefix(unescape(raw))
    number = _decimal(text)
    return lambda row: number_compare(prefix, *_bounds(row.value, row.low, row.high), number)


def quantity_test(modifier: str | None, raw: str) -> Callable[[Any], bool]:
    parts = [unescape(p) for p in _UNESCAPED_BAR.split(raw)]
    prefix, text = split_prefix(parts[0])
    number = _decimal(text)
    system, code = (parts[1], parts[2]) if len(parts) == 3 else ("", "")

    def test(row) -> bool:
        if system == UCUM_SYSTEM and code:
            canonical, factor = canonical_unit(code)
            if row.canonical_code != canonical:
                return False
            bounds = _bounds(row.canonical_value, row.canonical_low, row.canonical_high)
            return number_compare(prefix, *bounds, number, factor)
        if system and row.system != system:
            return False
        if code and system and row.code != code:
            return False
        if code and not system and code not in (row.code, row.unit):
            return False
        return number_compare(prefix, *_bounds(row.value, row.low, row.high), number)

    return test


def reference_test(modifier: str | None, raw: str, bases: tuple[str, ...]) -> Callable:
    if modifier == "identifier":
        parts = [unescape(p) for p in _UNESCAPED_BAR.split(raw)]
        return system_code_test(parts, lambda row: (row.identifier_system, row.identifier_value))
    value = unescape(raw)
    for base in bases:
        value = value.removeprefix(base + "/")
    if value.startswith(("http://", "https://", "urn:")):
        if "|" in value:
            return lambda row: row.url == value
        return lambda row: (
            row.url is not None and (row.url == value or row.url.startswith(value + "|"))
        )
    parsed = parse_reference(value)
    if parsed.type is not None and parsed.id is not None:
        wanted_type, wanted_id = parsed.type, parsed.id
        if modifier and modifier != wanted_type:
            return lambda row: False
    else:
        wanted_type, wanted_id = modifier, value
    return lambda row: row.target_id == wanted_id and wanted_type in (None, row.target_type)


def uri_test(modifier: str | None, raw: str) -> Callable[[Any], bool]:
    uri = unescape(raw)
    if modifier == "below":
        return lambda row: row.value.startswith(uri)
    if modifier == "above":
        scheme = uri.find("://") + 3 if "://" in uri else 0
        return lambda row: (
            uri == row.value or (uri.startswith(row.value + "/") and len(row.value) > scheme)
        )
    return lambda row: row.value == uri
