"""What the search builder offers for a resource type, read from this server's CapabilityStatement:
its search parameters with their types and modifiers, the prefixes of ordered types, and the
`_include` / `_revinclude` values it lists."""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings

from fhirapi.rest.capability import capability_statement

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
PREFIXED_TYPES = frozenset({"date", "number", "quantity"})
SORTABLE_TYPES = frozenset({"string", "token", "date", "number", "quantity", "reference", "uri"})
_MODIFIERS_LINE = re.compile(r"Modifiers: ([^\n]+?)\.?\s*$")


@dataclass(frozen=True)
class ParamOption:
    name: str
    type: str
    modifiers: tuple[str, ...]
    documentation: str

    @property
    def prefixes(self) -> tuple[str, ...]:
        return PREFIXES if self.type in PREFIXED_TYPES else ()


@dataclass(frozen=True)
class TypeOptions:
    resource_type: str
    params: tuple[ParamOption, ...]
    includes: tuple[str, ...]
    revincludes: tuple[str, ...]

    def param(self, name: str) -> ParamOption | None:
        return next((option for option in self.params if option.name == name), None)

    @property
    def sortable(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.params if option.type in SORTABLE_TYPES)


def type_options(resource_type: str) -> TypeOptions | None:
    """The builder's choices for a type; None when the server does not list the type."""
    return _all_type_options().get(resource_type)


def resource_types() -> list[str]:
    return sorted(_all_type_options())


@cache
def _all_type_options() -> dict[str, TypeOptions]:
    statement = capability_statement(settings.FHIR_BASE_URL)
    rest = statement["rest"][0]
    common = [_param(entry, None) for entry in rest.get("searchParam", [])]
    return {
        resource["type"]: _type_options(resource, common) for resource in rest.get("resource", [])
    }


def _type_options(resource: dict[str, Any], common: list[ParamOption]) -> TypeOptions:
    own = [_param(entry, resource["type"]) for entry in resource.get("searchParam", [])]
    names = {option.name for option in own}
    params = sorted(
        own + [option for option in common if option.name not in names],
        key=lambda option: option.name,
    )
    return TypeOptions(
        resource_type=resource["type"],
        params=tuple(params),
        includes=tuple(resource.get("searchInclude", [])),
        revincludes=tuple(resource.get("searchRevInclude", [])),
    )


def _param(entry: dict[str, Any], resource_type: str | None) -> ParamOption:
    documentation = entry.get("documentation", "")
    found = _MODIFIERS_LINE.search(documentation)
    modifiers = [m.strip() for m in found.group(1).split(",")] if found else []
    text = documentation[: found.start()].strip() if found else documentation
    return ParamOption(
        name=entry["name"],
        type=entry.get("type", "string"),
        modifiers=tuple(m for m in modifiers if m and m != "[type]"),
        documentation=_own_line(text, resource_type),
    )


def _own_line(documentation: str, resource_type: str | None) -> str:
    """R4 describes a parameter shared by many types as `* [Type](type.html): text` bullets;
    keep the one of this type."""
    bullet = re.search(rf"\* \[{resource_type}\]\([^)]*\): ([^\n*]+)", documentation)
    return bullet.group(1).strip() if resource_type and bullet else documentation
