"""When the doses of an order fall on a given day, from its dosageInstruction.timing.

A deliberately small mapping, the hospital's standard administration times:
- `timing.event`, `repeat.timeOfDay`: those times;
- `repeat.when` codes: MORN 08:00, AFT 14:00, EVE 18:00, NIGHT/HS 22:00, WAKE 07:00, meals
  (C/CM 08:00, CD 12:00, CV 18:00; AC* 30 min before, PC* 30 min after);
- n times a day: 1 → 09:00, 2 → 09:00 21:00, 3 → 08:00 14:00 20:00, 4 → 08:00 12:00 16:00 20:00,
  more → every 24/n hours from 06:00;
- every n hours: from 06:00 every n hours (q4h: 02 06 10 14 18 22);
- every n days / weeks / months: 09:00 on the days counted from the start (weekly on
  `dayOfWeek` when given);
- `count` alone (once): the order's start time.
As-needed orders and those without a usable timing have no scheduled times: the MAR offers to
record a dose whenever it is given. Times before the order's start are left out.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from clinical.fhir.display import parse_datetime

WHEN_TIMES = {
    "WAKE": time(7), "MORN": time(8), "MORN.early": time(7), "MORN.late": time(10),
    "NOON": time(12), "AFT": time(14), "AFT.early": time(13), "AFT.late": time(16),
    "EVE": time(18), "EVE.early": time(17), "EVE.late": time(20), "NIGHT": time(22),
    "PHS": time(21, 30), "HS": time(22),
    "C": time(8), "CM": time(8), "CD": time(12), "CV": time(18),
    "AC": time(7, 30), "ACM": time(7, 30), "ACD": time(11, 30), "ACV": time(17, 30),
    "PC": time(8, 30), "PCM": time(8, 30), "PCD": time(12, 30), "PCV": time(18, 30),
}  # fmt: skip
TIMES_A_DAY = {
    1: (time(9),),
    2: (time(9), time(21)),
    3: (time(8), time(14), time(20)),
    4: (time(8), time(12), time(16), time(20)),
}
FIRST_HOUR = 6  # interval dosing starts from here
DAY_NUMBERS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
HOURS_PER_UNIT = {"h": 1, "d": 24}


@dataclass(frozen=True)
class DaySchedule:
    times: tuple[datetime, ...]  # scheduled doses on the day, in order
    as_needed: bool  # PRN (or no usable timing): record doses when given


def day_schedule(
    dosage: dict[str, Any], day: date, tz: tzinfo, *, start: datetime | None
) -> DaySchedule:
    timing = dosage.get("timing") or {}
    repeat = timing.get("repeat") or {}
    as_needed = bool(dosage.get("asNeededBoolean") or dosage.get("asNeededCodeableConcept"))
    if as_needed:
        return DaySchedule((), True)
    bounds = repeat.get("boundsPeriod") or {}
    start = parse_datetime(bounds.get("start")) or start
    end = parse_datetime(bounds.get("end"))
    clock = _clock_times(timing, repeat, day, tz, start)
    if clock is None:
        return DaySchedule((), True)
    moments = sorted(
        {
            datetime.combine(day, moment, tzinfo=tz) if isinstance(moment, time) else moment
            for moment in clock
        }
    )
    moments = [m for m in moments if (start is None or m >= start) and (end is None or m <= end)]
    return DaySchedule(tuple(moments), False)


def _clock_times(timing, repeat, day: date, tz: tzinfo, start: datetime | None):
    """The day's times (time, or aware datetime for events); None when there is no schedule."""
    events = [parse_datetime(e) for e in timing.get("event") or []]
    if events:
        return [e.astimezone(tz) for e in events if e and e.astimezone(tz).date() == day]
    if repeat.get("timeOfDay"):
        return [t for t in (_time(v) for v in repeat["timeOfDay"]) if t]
    if repeat.get("when"):
        return [WHEN_TIMES[w] for w in repeat["when"] if w in WHEN_TIMES] or None
    frequency = int(repeat.get("frequency") or 1)
    period = float(repeat.get("period") or 0)
    unit = repeat.get("periodUnit")
    if not period or not unit:
        if repeat.get("count") and start is not None:  # a single dose ("once")
            local = start.astimezone(tz)
            return [local] if local.date() == day else []
        return None
    if unit in HOURS_PER_UNIT and period * HOURS_PER_UNIT[unit] <= 24:
        return _spread(frequency, period * HOURS_PER_UNIT[unit])
    if unit in ("d", "wk", "mo", "a"):
        return [time(9)] if _on_day(repeat, unit, period, day, tz, start) else []
    return None  # minutes, seconds: continuous, not a grid of doses


def _spread(frequency: int, period_hours: float) -> list[time] | None:
    if period_hours == 24 and frequency in TIMES_A_DAY:
        return list(TIMES_A_DAY[frequency])
    interval = period_hours / frequency * 60  # minutes
    if interval < 30:
        return None
    count = int(24 * 60 // interval)
    minutes = [(FIRST_HOUR * 60 + round(k * interval)) % (24 * 60) for k in range(count)]
    return [time(m // 60, m % 60) for m in minutes]


def _on_day(
    repeat, unit: str, period: float, day: date, tz: tzinfo, start: datetime | None
) -> bool:
    first = start.astimezone(tz).date() if start else day
    if unit == "wk" and repeat.get("dayOfWeek"):
        return day.weekday() in {DAY_NUMBERS.get(d) for d in repeat["dayOfWeek"]}
    step = {"d": 1, "wk": 7}.get(unit)
    if step:
        days = max(1, round(period * step))
        return (day - first).days % days == 0
    if unit == "mo":
        return day.day == first.day
    return (day.month, day.day) == (first.month, first.day)


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)
