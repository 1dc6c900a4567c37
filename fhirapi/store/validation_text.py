"""Text PostgreSQL cannot store: a NUL character (U+0000) or a lone UTF-16 surrogate anywhere in a
resource, keys included. JSONB refuses both, so such a resource is refused as invalid (422)
instead of failing in the database (500). FHIR strings exclude control characters anyway."""

import re
from typing import Any

import orjson

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_location(resource: Any, location: str) -> str | None:
    """The FHIRPath-like location of the first unstorable string in `resource`, or None."""
    try:  # fast path: orjson escapes NUL as \\u0000 and refuses surrogates
        if b"\\u0000" not in orjson.dumps(resource):
            return None
    except (orjson.JSONEncodeError, TypeError):
        pass
    stack: list[tuple[Any, str]] = [(resource, location)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if UNSTORABLE.search(node):
                return where
        elif isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str) and UNSTORABLE.search(key):
                    return where
                stack.append((child, f"{where}.{key}"))
        elif isinstance(node, list):
            stack.extend((child, f"{where}[{index}]") for index, child in enumerate(node))
    return None
