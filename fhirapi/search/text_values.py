"""The words of a resource for `_text` (its narrative) and `_content` (every string in it), as
PostgreSQL tsvector literals. Words are cut out and normalized here, in Python, and search terms
the same way (`words`), so both sides agree without depending on a text-search configuration."""

import html
import re
from typing import Any

from fhirapi.search.string_values import normalize_text

_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")
MAX_WORD_LENGTH = 64
MAX_WORDS = 2000
# Strings that are identifiers, links or encoded data, not words anyone searches for.
_SKIPPED_KEYS = frozenset(
    {"id", "reference", "fullUrl", "url", "system", "versionId", "lastUpdated", "data", "div"}
)


def words(text: str) -> list[str]:
    """The searchable words of `text`: normalized, in order, duplicates kept."""
    return [w for w in _WORD.findall(normalize_text(text)) if len(w) <= MAX_WORD_LENGTH]


def narrative_text(resource: dict[str, Any]) -> str:
    div = (resource.get("text") or {}).get("div")
    return html.unescape(_TAG.sub(" ", div)) if isinstance(div, str) else ""


def content_text(resource: dict[str, Any]) -> str:
    """Every string value of the resource (and its narrative's text), space-separated."""
    parts: list[str] = [narrative_text(resource)]
    _collect(resource, parts)
    return " ".join(parts)


def _collect(value: Any, parts: list[str]) -> None:
    # Strings are appended here rather than in a call of their own: most values are strings.
    if value.__class__ is dict:
        for key, item in value.items():
            if key in _SKIPPED_KEYS:
                continue
            if item.__class__ is str:
                parts.append(item)
            else:
                _collect(item, parts)
    elif value.__class__ is list:
        for item in value:
            if item.__class__ is str:
                parts.append(item)
            else:
                _collect(item, parts)
    elif value.__class__ is str:
        parts.append(value)


def tsvector_literal(text: str) -> str:
    """The distinct words of `text` as a tsvector literal (`'word' 'other'`)."""
    distinct = list(dict.fromkeys(words(text)))[:MAX_WORDS]
    # \w+ words hold no quote or backslash
    return "'" + "' '".join(distinct) + "'" if distinct else ""
