from datetime import UTC, datetime

import pytest

from fhirapi.search.date_values import OPEN_END, OPEN_START, date_range, date_rows
from fhirapi.search.index_rows import DateRow


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "low", "high", "precision"),
    [
        ("2020", utc(2020, 1, 1), utc(2020, 12, 31, 23, 59, 59, 999999), "year"),
        ("2020-03", utc(2020, 3, 1), utc(2020, 3, 31, 23, 59, 59, 999999), "month"),
        ("2020-02", utc(2020, 2, 1), utc(2020, 2, 29, 23, 59, 59, 999999), "month"),
        ("2020-03-05", utc(2020, 3, 5), utc(2020, 3, 5, 23, 59, 59, 999999), "day"),
        (
            "2020-03-05T10:00:00+01:00",
            utc(2020, 3, 5, 9),
            utc(2020, 3, 5, 9, 0, 0, 999999),
            "second",
        ),
        ("2020-03-05T10:00:00Z", utc(2020, 3, 5, 10), utc(2020, 3, 5, 10, 0, 0, 999999), "second"),
        ("2020-03-05T10:00:00", utc(2020, 3, 5, 10), utc(2020, 3, 5, 10, 0, 0, 999999), "second"),
        ("2020-03-05T10:00Z", utc(2020, 3, 5, 10), utc(2020, 3, 5, 10, 0, 59, 999999), "minute"),
        (
            "2020-03-05T10:00:00.12Z",
            utc(2020, 3, 5, 10, 0, 0, 120000),
            utc(2020, 3, 5, 10, 0, 0, 129999),
            "millisecond",
        ),
    ],
)
def test_date_range_covers_the_precision(text, low, high, precision):
    assert date_range(text) == (low, high, precision)


@pytest.mark.parametrize("text", ["", "soon", "2020-13", "2020-02-30", "20200305", "Monday AM"])
def test_not_a_date_gives_none(text):
    assert date_range(text) is None


def test_rows_for_primitives_periods_and_timings():
    nodes = [
        ("2021-06-01", "date"),
        ({"start": "2021-01-01T08:00:00Z"}, "Period"),
        ({"end": "2021-01"}, "Period"),
        ({"event": ["2021-05-02", "2021-04-01T10:00:00Z"]}, "Timing"),
        ({"repeat": {"boundsPeriod": {"start": "2019", "end": "2019-06"}}}, "Timing"),
    ]
    rows: list[DateRow] = []
    date_rows("date", nodes, rows)
    assert rows == [
        DateRow("date", utc(2021, 6, 1), utc(2021, 6, 1, 23, 59, 59, 999999), "day"),
        DateRow("date", utc(2021, 1, 1, 8), OPEN_END, "period"),
        DateRow("date", OPEN_START, utc(2021, 1, 31, 23, 59, 59, 999999), "period"),
        DateRow("date", utc(2021, 4, 1, 10), utc(2021, 5, 2, 23, 59, 59, 999999), "period"),
        DateRow("date", utc(2019, 1, 1), utc(2019, 6, 30, 23, 59, 59, 999999), "period"),
    ]


def test_values_that_are_not_dates_give_no_row():
    nodes = [
        ("every morning", "string"),
        ({"value": 40, "code": "a"}, "Age"),
        ({}, "Period"),
        ({"start": "not a date"}, "Period"),
        ({"repeat": {"frequency": 2}}, "Timing"),
    ]
    rows: list[DateRow] = []
    date_rows("date", nodes, rows)
    assert rows == []
