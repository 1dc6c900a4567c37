"""Scheduled administration times from dosageInstruction.timing (clinical/pharmacy/schedule.py)."""

from datetime import UTC, date, datetime

import pytest

from clinical.pharmacy.schedule import day_schedule

DAY = date(2026, 3, 2)
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)


def hours(dosage: dict, *, day: date = DAY, start: datetime = BEFORE) -> list[str]:
    schedule = day_schedule(dosage, day, UTC, start=start)
    return [t.strftime("%H:%M") for t in schedule.times]


def repeat(**values) -> dict:
    return {"timing": {"repeat": values}}


@pytest.mark.parametrize(
    ("timing", "expected"),
    [
        ({"frequency": 1, "period": 1, "periodUnit": "d"}, ["09:00"]),
        ({"frequency": 2, "period": 1, "periodUnit": "d"}, ["09:00", "21:00"]),
        ({"frequency": 3, "period": 1, "periodUnit": "d"}, ["08:00", "14:00", "20:00"]),
        ({"frequency": 4, "period": 1, "periodUnit": "d"}, ["08:00", "12:00", "16:00", "20:00"]),
        (
            {"frequency": 1, "period": 4, "periodUnit": "h"},
            ["02:00", "06:00", "10:00", "14:00", "18:00", "22:00"],
        ),
        ({"frequency": 1, "period": 6, "periodUnit": "h"}, ["00:00", "06:00", "12:00", "18:00"]),
        ({"frequency": 1, "period": 8, "periodUnit": "h"}, ["06:00", "14:00", "22:00"]),
        ({"frequency": 1, "period": 1, "periodUnit": "d", "when": ["HS"]}, ["22:00"]),
        ({"when": ["MORN", "EVE"]}, ["08:00", "18:00"]),
        ({"when": ["ACM", "PCV"]}, ["07:30", "18:30"]),
        ({"timeOfDay": ["07:15:00", "19:45:00"]}, ["07:15", "19:45"]),
    ],
)
def test_times_of_a_day(timing, expected):
    assert hours(repeat(**timing)) == expected


def test_every_other_day_counts_from_the_start():
    every_other = repeat(frequency=1, period=2, periodUnit="d")
    start = datetime(2026, 3, 1, 7, tzinfo=UTC)
    assert hours(every_other, day=date(2026, 3, 1), start=start) == ["09:00"]
    assert hours(every_other, day=date(2026, 3, 2), start=start) == []
    assert hours(every_other, day=date(2026, 3, 3), start=start) == ["09:00"]


def test_weekly_on_named_days():
    weekly = repeat(frequency=1, period=1, periodUnit="wk", dayOfWeek=["mon", "thu"])
    assert hours(weekly, day=date(2026, 3, 2)) == ["09:00"]  # a Monday
    assert hours(weekly, day=date(2026, 3, 3)) == []


def test_times_before_the_start_are_left_out():
    start = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert hours(repeat(frequency=3, period=1, periodUnit="d"), start=start) == ["14:00", "20:00"]


def test_bounds_period_limits_the_days():
    bounded = repeat(
        frequency=1, period=1, periodUnit="d", boundsPeriod={"end": "2026-03-01T23:00:00Z"}
    )
    assert hours(bounded) == []


def test_once_is_given_at_the_start():
    once = repeat(count=1)
    start = datetime(2026, 3, 2, 13, 20, tzinfo=UTC)
    assert hours(once, start=start) == ["13:20"]
    assert hours(once, day=date(2026, 3, 3), start=start) == []


@pytest.mark.parametrize(
    "dosage",
    [
        {
            "asNeededBoolean": True,
            "timing": {"repeat": {"frequency": 1, "period": 4, "periodUnit": "h"}},
        },
        {"text": "Inject as directed"},
        repeat(frequency=1, period=10, periodUnit="min"),
    ],
)
def test_as_needed_and_unscheduled_have_no_times(dosage):
    schedule = day_schedule(dosage, DAY, UTC, start=BEFORE)
    assert schedule.times == () and schedule.as_needed
