"""Date parameters: the range of instants a date, dateTime, instant, Period or Timing covers.

A value covers everything its precision allows: `2020-03` is 2020-03-01T00:00:00Z up to the last
microsecond of March; `2020-03-05T10:00:00+01:00` is that second, in UTC. Dates without a time
zone are read as UTC. A Period's open end is datetime.min/max; a Timing covers its earliest to its
latest event and its repeat.boundsPeriod (search.html: "only the outer limits matter"). Values
that are not dates (free-text `performedString`, an `Age`) give no row.
"""

import calendar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from fhirapi.search.index_rows import DateRow
from fhirapi.search.value_cache import VALUE_CACHE_SIZE

OPEN_START = datetime.min.replace(tzinfo=UTC)
OPEN_END = datetime.max.replace(tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_DATE_KINDS = frozenset({"date", "dateTime", "instant", "System.String", "?"})

DateRange = tuple[datetime, datetime, str]  # low, high, precision


@lru_cache(maxsize=VALUE_CACHE_SIZE)
def date_range(text: str) -> DateRange | None:
    """The range a FHIR date, dateTime or instant string covers; None if it is not one."""
    try:
        if len(text) == 4:
            year = int(text)
            return _span(
                datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC), "year"
            )
        if len(text) == 7:
            return _month(int(text[:4]), int(text[5:]))
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return _span(day, day + timedelta(days=1), "day")
        return _date_time(text)
    except (ValueError, OverflowError):
        return None


def _span(low: datetime, end: datetime, precision: str) -> DateRange:
    return low, end - _ONE_MICROSECOND, precision


def _month(year: int, month: int) -> DateRange:
    first = datetime(year, month, 1, tzinfo=UTC)
    days = calendar.monthrange(year, month)[1]
    return _span(first, first + timedelta(days=days), "month")


def _date_time(text: str) -> DateRange | None:
    if text[4:5] != "-" or text[10:11] != "T":
        return None
    moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    clock = text[11:19]
    if clock.count(":") < 2 or not clock[6:8].isdigit():
        return _span(moment, moment + timedelta(minutes=1), "minute")
    if text[19:20] != ".":
        return _span(moment, moment + timedelta(seconds=1), "second")
    digits = len(text[20:]) - len(text[20:].lstrip("0123456789"))
    width = timedelta(microseconds=10 ** max(6 - digits, 0))
    return _span(moment, moment + width, "millisecond")


def period_range(period: dict) -> DateRange | None:
    start, end = period.get("start"), period.get("end")
    if start is None and end is None:
        return None
    low_range = date_range(start) if start.__class__ is str else None
    high_range = date_range(end) if end.__class__ is str else None
    if (start is not None and low_range is None) or (end is not None and high_range is None):
        return None
    low = low_range[0] if low_range else OPEN_START
    high = high_range[1] if high_range else OPEN_END
    return low, high, "period"


def timing_range(timing: dict) -> DateRange | None:
    ranges = [date_range(event) for event in timing.get("event") or () if event.__class__ is str]
    bounds = (timing.get("repeat") or {}).get("boundsPeriod")
    if bounds:
        ranges.append(period_range(bounds))
    found = [r for r in ranges if r is not None]
    if not found:
        return None
    return min(r[0] for r in found), max(r[1] for r in found), "period"


def date_rows(param: str, nodes: list[tuple[Any, str]], out: list[DateRow]) -> None:
    for value, kind in nodes:
        found = None
        if value.__class__ is str and kind in _DATE_KINDS:
            found = date_range(value)
        elif value.__class__ is dict:
            found = timing_range(value) if kind == "Timing" else _dict_range(value, kind)
        if found is not None:
            out.append(DateRow(param, *found))


def _dict_range(value: dict, kind: str) -> DateRange | None:
    if kind == "Period" or (kind == "?" and ("start" in value or "end" in value)):
        return period_range(value)
    return None
