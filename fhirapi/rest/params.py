"""Parsing the query parameters shared by history and search: instants, counts, offsets."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime

from fhirapi.errors import BadRequest

MAX_OFFSET = 2**62  # beyond PostgreSQL's bigint an OFFSET fails; no store holds this many


def parse_instant(name: str, value: str | None) -> datetime | None:
    """A FHIR instant or date (taken as its first moment, UTC) from a query parameter."""
    if value is None or value == "":
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"{name}: {value!r} is not a FHIR instant or date", expression=[name])
    try:  # in UTC: PostgreSQL refuses offsets beyond ±15:59, which Python parses
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        raise BadRequest(f"{name}: {value!r} is out of range", expression=[name]) from None


def parse_count(value: str | None) -> int:
    if value is None or value == "":
        return settings.FHIR_DEFAULT_COUNT
    return whole_number("_count", value, ceiling=settings.FHIR_MAX_COUNT)


def parse_offset(value: str | None) -> int:
    if value is None or value == "":
        return 0
    return whole_number("_offset", value, ceiling=MAX_OFFSET)


def whole_number(name: str, value: str, *, ceiling: int) -> int:
    """ASCII digits only (`int` takes other scripts' digits, and refuses `²` that isdigit()
    accepts), clamped to `ceiling` without converting thousands of digits."""
    if not (value.isascii() and value.isdigit()):
        raise BadRequest(f"{name}: {value!r} is not a whole number", expression=[name])
    digits = value.lstrip("0")
    return ceiling if len(digits) > len(str(ceiling)) else min(int(digits or "0"), ceiling)
