"""Parsing a search request (search.html) into a SearchQuery: the criteria (repeated parameters
are ANDed, comma-separated values ORed), the result parameters, and what was ignored.

Unknown or unsupported parameters are ignored and reported (lenient, the default) or refused with
400 (`strict`, from `Prefer: handling=strict`). A malformed value, an unknown modifier or a chain
through a parameter that is not a reference is always a 400.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from fhirapi.errors import InvalidSearch
from fhirapi.search.include_params import Include, parse_include
from fhirapi.search.query_values import split_escaped
from fhirapi.search.registry import ParamType, SearchParam, get_parameter, resource_types
from fhirapi.search.subset import SUMMARY_MODES

SUPPORTED_MODIFIERS: dict[ParamType, frozenset[str]] = {
    ParamType.STRING: frozenset({"missing", "exact", "contains"}),
    ParamType.TOKEN: frozenset(
        {"missing", "text", "not", "of-type", "in", "not-in", "above", "below"}
    ),
    ParamType.DATE: frozenset({"missing"}),
    ParamType.NUMBER: frozenset({"missing"}),
    ParamType.QUANTITY: frozenset({"missing"}),
    ParamType.REFERENCE: frozenset({"missing", "identifier"}),  # and :[type]
    ParamType.URI: frozenset({"missing", "above", "below"}),
    ParamType.COMPOSITE: frozenset({"missing"}),
}
KNOWN_MODIFIERS = frozenset(
    {"missing", "exact", "contains", "text", "not", "above", "below", "in", "not-in", "of-type"}
    | {"identifier", "iterate"}
)
SORTABLE = frozenset(
    {ParamType.STRING, ParamType.TOKEN, ParamType.DATE, ParamType.NUMBER, ParamType.QUANTITY}
    | {ParamType.REFERENCE, ParamType.URI}
)
TOTAL_MODES = frozenset({"none", "estimate", "accurate"})
FULL_TEXT = frozenset({"_text", "_content"})
HAS = "_has"
INCLUDES = {"_include": False, "_revinclude": True}  # the parameter, and whether it is reverse
ITERATE = frozenset({"iterate", "recurse"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Result parameters that change nothing in what this server returns.
_NO_EFFECT = frozenset({"_format", "_pretty"})


@dataclass(frozen=True, slots=True)
class Criterion:
    """One parameter of the query; a resource matches when it matches any of `values` (or, for a
    chain, when the reference points to a resource of `target_types` that meets `chain`)."""

    code: str
    modifier: str | None
    param: SearchParam
    values: tuple[str, ...]  # escapes kept: each type splits its own parts
    chain: "Criterion | None" = None
    target_types: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.code}:{self.modifier}" if self.modifier else self.code


@dataclass(frozen=True, slots=True)
class SortKey:
    param: SearchParam
    descending: bool


@dataclass(frozen=True, slots=True)
class SearchQuery:
    resource_types: tuple[str, ...]  # empty: every type
    criteria: tuple[Criterion, ...]
    sort: tuple[SortKey, ...] = ()
    count: int = 20
    offset: int = 0
    total: str | None = None  # none, estimate or accurate; None: the default
    summary_count: bool = False
    page: str | None = None  # the cursor of a paging link
    ignored: tuple[str, ...] = ()
    includes: tuple[Include, ...] = ()
    link_params: tuple[tuple[str, str], ...] = ()  # what a paging link repeats


class _Parser:
    def __init__(self, types: tuple[str, ...], strict: bool) -> None:
        self.types = types
        self.strict = strict
        self.criteria: list[Criterion] = []
        self.ignored: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.result: dict[str, object] = {}
        self.includes: list[Include] = []

    def ignore(self, name: str, why: str) -> None:
        if self.strict:
            raise InvalidSearch(f"{name}: {why}", expression=[name])
        self.ignored.append(name)

    def parameter(self, code: str) -> SearchParam | None:
        """The parameter `code`, when every type in scope has it, with one type."""
        found = [get_parameter(t, code) for t in self.types or resource_types()]
        if not found or any(p is None for p in found):
            return None
        if len({p.type for p in found}) != 1:  # type: ignore[union-attr]
            return None
        return found[0]

    def add(self, key: str, value: str) -> None:
        if value == "" or key in _NO_EFFECT:
            return
        if _UNSTORABLE.search(value):  # PostgreSQL takes neither in text
            raise InvalidSearch(f"{key}: a NUL character or lone surrogate in the value")
        if key.partition(":")[0] in INCLUDES:
            return self.include(key, value)
        if key in _RESULT_PARAMS:
            used = _RESULT_PARAMS[key](self, value)
            if used:
                self.links.append((key, used))
            return
        self.criterion(key, value)

    def criterion(self, key: str, value: str) -> None:
        if key.startswith(f"{HAS}:"):
            return self.reverse_chained(key, value)
        name, _, chain = key.partition(".")
        code, _, modifier = name.partition(":")
        param = self.parameter(code)
        if param is None:
            return self.ignore(key, f"unknown search parameter {code!r}")
        if chain:
            return self.chained(key, param, modifier, chain, value)
        if not self.modifier_allowed(key, param, modifier):
            return None
        self.criteria.append(Criterion(code, modifier or None, param, _split_or(value)))
        self.links.append((key, value))
        return None

    def chained(self, key: str, param: SearchParam, modifier: str, chain: str, value: str) -> None:
        """`reference[:Type].rest=value`: `rest` is parsed against the target types."""
        code = param.code
        if param.type != ParamType.REFERENCE:
            raise InvalidSearch(f"{key}: {code!r} is not a reference; it cannot be chained")
        if modifier and modifier not in resource_types():
            raise InvalidSearch(f"{key}: only a resource type may qualify a chained reference")
        chained_code = chain.partition(".")[0].partition(":")[0]
        targets = (modifier,) if modifier else param.targets
        targets = tuple(t for t in targets if get_parameter(t, chained_code) is not None)
        inner = _Parser(targets, self.strict)
        if targets:
            inner.criterion(chain, value)
        if not inner.criteria:
            return self.ignore(key, f"no target of {code!r} has a parameter {chained_code!r}")
        self.criteria.append(Criterion(code, None, param, (), inner.criteria[0], targets))
        self.links.append((key, value))
        return None

    def reverse_chained(self, key: str, value: str) -> None:
        """`_has:Source:reference:rest=value`: `rest` is parsed against the source type."""
        _, source, code, rest = [*key.split(":", 3), "", "", ""][:4]
        if source not in resource_types() or not code or not rest:
            raise InvalidSearch(f"{key}: expected _has:Type:reference:parameter", expression=[key])
        param = get_parameter(source, code)
        if param is None or param.type != ParamType.REFERENCE:
            raise InvalidSearch(f"{key}: {source} has no reference parameter {code!r}")
        inner = _Parser((source,), self.strict)
        inner.criterion(rest, value)
        if not inner.criteria:
            return self.ignore(key, f"{source} cannot be searched by {rest!r}")
        self.criteria.append(Criterion(HAS, None, param, (), inner.criteria[0], (source,)))
        self.links.append((key, value))
        return None

    def modifier_allowed(self, key: str, param: SearchParam, modifier: str) -> bool:
        if not searchable(param):
            return self.unsupported(key)
        if not modifier:
            return True
        if param.code in FULL_TEXT:
            return self.unsupported(key)
        if param.type == ParamType.REFERENCE and modifier in resource_types():
            return True
        if modifier in SUPPORTED_MODIFIERS[param.type]:
            return True
        if modifier in KNOWN_MODIFIERS:
            return self.unsupported(key)
        raise InvalidSearch(f"{key}: unknown modifier {modifier!r}", expression=[key])

    def unsupported(self, key: str) -> bool:
        self.ignore(key, "this parameter or modifier is not supported")
        return False

    def include(self, key: str, value: str) -> None:
        name, _, modifier = key.partition(":")
        if modifier and modifier not in ITERATE:
            raise InvalidSearch(f"{key}: unknown modifier {modifier!r}", expression=[key])
        found = parse_include(value, reverse=INCLUDES[name], iterate=bool(modifier))
        if isinstance(found, str):
            return self.ignore(f"{key}={value}", found)
        self.includes.append(found)
        self.links.append((key, value))
        return None

    # Result parameters: each returns the value the paging links repeat (None: not repeated).

    def count(self, value: str) -> str | None:
        self.result["count"] = min(_whole_number("_count", value), settings.FHIR_MAX_COUNT)
        return None  # the links give the count used

    def offset(self, value: str) -> str | None:
        self.result["offset"] = _whole_number("_offset", value)
        return None  # the links page by cursor

    def page(self, value: str) -> str | None:
        self.result["page"] = value
        return None

    def total(self, value: str) -> str | None:
        if value not in TOTAL_MODES:
            raise InvalidSearch(f"_total: {value!r} is not none, estimate or accurate")
        self.result["total"] = value
        return value

    def summary(self, value: str) -> str | None:
        """`count` is the engine's; true, text and data are applied by `subset.subset_bundle`."""
        if value not in SUMMARY_MODES:
            raise InvalidSearch(f"_summary: {value!r} is not true, text, data, count or false")
        self.result["summary_count"] = value == "count"
        return value

    def elements(self, value: str) -> str | None:
        """Applied by `subset.subset_bundle`."""
        return value

    def sort(self, value: str) -> str | None:
        keys, used = [], []
        for item in value.split(","):
            code = item.removeprefix("-")
            param = self.parameter(code)
            if param is None or param.type not in SORTABLE:
                self.ignore(f"_sort={item}", f"cannot sort on {code!r}")
                continue
            keys.append(SortKey(param, item.startswith("-")))
            used.append(item)
        self.result["sort"] = tuple(keys)
        return ",".join(used) or None

    def type_list(self, value: str) -> str | None:
        """`_type` was read before the other parameters (`parse_query`)."""
        return value


_RESULT_PARAMS = {
    "_count": _Parser.count,
    "_offset": _Parser.offset,
    "_page": _Parser.page,
    "_total": _Parser.total,
    "_summary": _Parser.summary,
    "_elements": _Parser.elements,
    "_sort": _Parser.sort,
    "_type": _Parser.type_list,
}


def parse_query(
    resource_type: str | None, pairs: list[tuple[str, str]], *, strict: bool = False
) -> SearchQuery:
    types = (resource_type,) if resource_type else _type_parameter(pairs)
    parser = _Parser(types, strict)
    for key, value in pairs:
        parser.add(key, value)
    result = {"count": settings.FHIR_DEFAULT_COUNT, **parser.result}
    return SearchQuery(
        resource_types=types,
        criteria=tuple(parser.criteria),
        ignored=tuple(parser.ignored),
        includes=tuple(dict.fromkeys(parser.includes)),
        link_params=tuple(parser.links),
        **result,  # type: ignore[arg-type]
    )


def _type_parameter(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    names = [n.strip() for key, value in pairs if key == "_type" for n in value.split(",")]
    unknown = [n for n in names if n not in resource_types()]
    if unknown:
        raise InvalidSearch(f"_type: unknown resource type(s) {', '.join(unknown)}")
    return tuple(dict.fromkeys(n for n in names if n))


def _whole_number(name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):  # `²` is a digit to isdigit(), not to int()
        raise InvalidSearch(f"{name}: {value!r} is not a whole number", expression=[name])
    return min(int(value.lstrip("0")[:19] or "0"), 10**18)  # an OFFSET in PostgreSQL's bigint


def _split_or(value: str) -> tuple[str, ...]:
    return tuple(split_escaped(value, ","))


def searchable(param: SearchParam) -> bool:
    """Whether this server can search on `param` (it is indexed, or is `_text`/`_content`)."""
    if param.code in FULL_TEXT:
        return True
    if param.expression is None or param.type not in SUPPORTED_MODIFIERS:
        return False
    if param.type == ParamType.COMPOSITE:
        return bool(param.components) and all(
            c.type in SUPPORTED_MODIFIERS and c.type != ParamType.COMPOSITE
            for c in param.components
        )
    return True
