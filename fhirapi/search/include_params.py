"""`_include` and `_revinclude` values (search.html#include): `Source:param[:Target]` or `*`,
optionally `:iterate` (R3's `:recurse` is read as `:iterate`)."""

from dataclasses import dataclass

from fhirapi.search.registry import ParamType, get_parameter, resource_types

WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class Include:
    reverse: bool  # _revinclude: resources of `source_type` that refer to the matches
    source_type: str | None  # None: any type (`*`)
    code: str | None  # the reference parameter; None: every reference parameter
    target_type: str | None = None
    iterate: bool = False


def parse_include(value: str, *, reverse: bool, iterate: bool) -> Include | str:
    """The Include `value` names, or why it names none."""
    if value.strip() == WILDCARD:
        return Include(reverse, None, None, None, iterate)
    parts = value.split(":")
    if len(parts) not in (2, 3):
        return "expected Source:parameter[:Target] or *"
    source, code, *rest = parts
    if source not in resource_types():
        return f"unknown resource type {source!r}"
    if code == WILDCARD:
        return Include(reverse, source, None, None, iterate)
    param = get_parameter(source, code)
    if param is None or param.type != ParamType.REFERENCE:
        return f"{source} has no reference parameter {code!r}"
    target = rest[0] if rest else None
    if target is not None and target not in resource_types():
        return f"unknown target type {target!r}"
    return Include(reverse, source, code, target, iterate)
