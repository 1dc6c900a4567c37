"""A resource as indented JSON in HTML, every `reference` to a resource of this server a link to
that resource in the explorer. Everything else is escaped."""

import json
import re
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from fhirapi.store.resource_types import is_resource_type

_RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/\d+)?$")
INDENT = "  "


def json_html(value: Any) -> SafeString:
    return mark_safe("".join(_parts(value, key=None, depth=0)))


def reference_target(reference: str) -> tuple[str, str] | None:
    """(type, id) of a literal reference to a resource of this server, else None."""
    local = reference.removeprefix(settings.FHIR_BASE_URL + "/")
    found = _RELATIVE.match(local)
    if found and is_resource_type(found.group(1)):
        return found.group(1), found.group(2)
    return None


def _parts(value: Any, *, key: str | None, depth: int):
    pad = INDENT * (depth + 1)
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        yield "{\n"
        for index, (name, item) in enumerate(value.items()):
            yield f"{pad}{escape(json.dumps(name))}: "
            yield from _parts(item, key=name, depth=depth + 1)
            yield ",\n" if index < len(value) - 1 else "\n"
        yield INDENT * depth + "}"
    elif isinstance(value, list):
        if not value:
            yield "[]"
            return
        yield "[\n"
        for index, item in enumerate(value):
            yield pad
            yield from _parts(item, key=key, depth=depth + 1)
            yield ",\n" if index < len(value) - 1 else "\n"
        yield INDENT * depth + "]"
    else:
        yield _scalar(value, key=key)


def _scalar(value: Any, *, key: str | None) -> str:
    text = json.dumps(value, ensure_ascii=False)
    target = reference_target(value) if key == "reference" and isinstance(value, str) else None
    if target is None:
        return escape(text)
    url = reverse("explorer-resource", args=target)
    return format_html('<a href="{}" class="reference">{}</a>', url, text)
