"""Reading search values: escaped separators (search.html, escaping: `\\,` `\\|` `\\$` `\\\\`),
comparison prefixes, and the implicit precision of numbers."""

from decimal import Decimal, InvalidOperation

from fhirapi.errors import InvalidSearch
from fhirapi.search.registry import ORDERED_COMPARATORS

_ESCAPABLE = ",|$\\"


def split_escaped(text: str, separator: str) -> list[str]:
    """Split on `separator` where it is not escaped; the parts keep their other escapes."""
    parts, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPABLE:
            out.append(text[index + 1])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def split_prefix(name: str, value: str) -> tuple[str, str]:
    """(`eq`, value) unless the value starts with a comparison prefix (`ge2020` -> ge, 2020)."""
    head = value[:2]
    if head in ORDERED_COMPARATORS:
        return head, value[2:]
    if head.isalpha() and head.islower():
        raise InvalidSearch(f"{name}: unknown prefix {head!r} in {value!r}", expression=[name])
    return "eq", value


def parse_decimal(name: str, text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or text.strip() != text or not text:
        raise InvalidSearch(f"{name}: {text!r} is not a number", expression=[name])
    return number


def implicit_range(number: Decimal) -> tuple[Decimal, Decimal]:
    """The values a number stands for at the precision it is written with: 100 -> [99.5, 100.5),
    1e2 -> [50, 150)."""
    exponent = number.as_tuple().exponent
    half = Decimal((0, (5,), int(exponent) - 1))
    return number - half, number + half
