"""Parsing the query parameters shared by history and search: instants, counts, offsets."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime

from fhirapi.errors import BadRequest


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
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_count(value: str | None) -> int:
    if value is None or value == "":
        return settings.FHIR_DEFAULT_COUNT
    if not value.isdigit():
        raise BadRequest(f"_count: {value!r} is not a whole number", expression=["_count"])
    return min(int(value), settings.FHIR_MAX_COUNT)


def parse_offset(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit():
        raise BadRequest(f"_offset: {value!r} is not a whole number", expression=["_offset"])
    return int(value)
