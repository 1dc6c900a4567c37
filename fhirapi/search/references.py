"""Reading Reference.reference strings: relative `Type/id`, versioned `Type/id/_history/n`,
absolute URLs, `urn:uuid:`/`urn:oid:` and contained `#id` references."""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fhirapi.search.registry import resource_types
from fhirapi.search.value_cache import VALUE_CACHE_SIZE

# R4's reference pattern (references.html), with the optional base URL of an absolute reference.
_REFERENCE = re.compile(
    r"^(?P<base>(?:https?://(?:[A-Za-z0-9\-\\.:%$]*/)+))?"
    r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})"
    r"(?:/_history/(?P<version>[A-Za-z0-9\-.]{1,64}))?$"
)


_CORE_DEFINITIONS = "http://hl7.org/fhir/StructureDefinition/"


@dataclass(frozen=True, slots=True)
class ParsedReference:
    """`type`/`id` are set for `Type/id` references to known resource types (relative or not);
    `url` is set for absolute, urn and unparseable ones; `contained` for `#id` references."""

    type: str | None = None
    id: str | None = None
    version: str | None = None
    url: str | None = None
    contained: bool = False


@lru_cache(maxsize=VALUE_CACHE_SIZE)
def parse_reference(text: str) -> ParsedReference:
    if text.startswith("#"):
        return ParsedReference(id=text[1:] or None, contained=True)
    match = _REFERENCE.match(text)
    if match is None or match["type"] not in resource_types():
        return ParsedReference(url=text)
    if match["base"]:
        return ParsedReference(type=match["type"], url=text)
    return ParsedReference(type=match["type"], id=match["id"], version=match["version"])


def reference_target_type(reference: Any) -> str | None:
    """The resource type a Reference points to, as far as the Reference itself tells: from the
    reference string, else from Reference.type. None for contained, urn and unknown targets."""
    if reference.__class__ is not dict:
        return None
    text = reference.get("reference")
    if text.__class__ is str:
        found = parse_reference(text).type
        if found is not None:
            return found
    declared = reference.get("type")
    if declared.__class__ is not str:
        return None
    declared = declared.removeprefix(_CORE_DEFINITIONS)  # R4 allows the absolute form too
    return declared if declared in resource_types() else None
