"""String parameters: plain strings, and the parts of HumanName and Address (search.html: a string
search on a HumanName matches family, given, prefix, suffix or text; on an Address any of line,
city, district, state, country, postalCode or text)."""

import unicodedata
from functools import lru_cache
from typing import Any

from fhirapi.search.index_rows import StringRow
from fhirapi.search.value_cache import VALUE_CACHE_SIZE

_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "country", "postalCode", "text")
PARTS_BY_TYPE = {"HumanName": _NAME_PARTS, "Address": _ADDRESS_PARTS}


def normalize_text(text: str) -> str:
    """Lower case with accents and other combining marks removed ("Ångström" -> "angstrom")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Values repeat (codes, names, cities): cached. A resource's whole text (text_values.words) is
# new at each write, so it goes to normalize_text, or the cache would hold 65,536 of them.
normalize = lru_cache(maxsize=VALUE_CACHE_SIZE)(normalize_text)


def string_rows(param: str, nodes: list[tuple[Any, str]], out: list[StringRow]) -> None:
    for value, kind in nodes:
        if value.__class__ is str:
            out.append(StringRow(param, normalize(value), value))
        elif value.__class__ is dict and kind in PARTS_BY_TYPE:
            _part_rows(param, value, PARTS_BY_TYPE[kind], out)


def _part_rows(param: str, value: dict, parts: tuple[str, ...], out: list[StringRow]) -> None:
    for part in parts:
        found = value.get(part)
        if found is None:
            continue
        for text in found if found.__class__ is list else (found,):
            if text.__class__ is str:
                out.append(StringRow(param, normalize(text), text))
