"""Trend charts drawn on the server as SVG geometry (no JavaScript): a polyline per series, the
reference band as a shaded rectangle, and a sentence that says what the chart shows."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.text import slugify

from clinical.vitals.definitions import VitalKind
from clinical.vitals.selectors import Reading

WIDTH, HEIGHT = 360, 150
CHART_POINTS = 60
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    when: datetime
    label: str = ""  # the dot's tooltip, e.g. "Systolic 128 mmHg, 2026-03-01 09:00"


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Band:
    y: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class TrendChart:
    title: str
    unit: str
    series: list[Series]
    bands: list[Band]
    ticks: list[Tick]
    first: str
    last: str
    summary: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def html_id(self) -> str:
        return "trend-" + slugify(self.title)

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_width(self) -> int:
        return self.width - RIGHT - LEFT


def trend_chart(
    title: str, kinds: tuple[VitalKind, ...], series: dict[str, list[Reading]], *, decimals: int = 0
) -> TrendChart:
    """`series` maps each kind's key to its readings, oldest first."""
    readings = [r for kind in kinds for r in series.get(kind.key, [])]
    unit = kinds[0].unit_label
    if not readings:
        return TrendChart(title, unit, [], [], [], "", "", f"{title}: no readings recorded.")
    values = [r.value for r in readings]
    for kind in kinds:
        if kind.band:
            values += list(kind.band)
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 1)
    low, high = low - pad, high + pad
    start = min(r.when for r in readings)
    end = max(r.when for r in readings)
    span = (end - start).total_seconds() or 1.0

    def x_of(when: datetime) -> float:
        if start == end:
            return LEFT + (WIDTH - LEFT - RIGHT) / 2
        return LEFT + (when - start).total_seconds() / span * (WIDTH - LEFT - RIGHT)

    def y_of(value: float) -> float:
        return TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM)

    drawn = [
        Series(
            kind.label,
            f"series-{index}",
            [
                Point(
                    round(x_of(r.when), 1),
                    round(y_of(r.value), 1),
                    r.value,
                    r.when,
                    f"{kind.label} {_number(r.value, decimals)} {kind.unit_label}, "
                    f"{r.when:%Y-%m-%d %H:%M}",
                )
                for r in series.get(kind.key, [])
            ],
        )
        for index, kind in enumerate(kinds)
    ]
    bands = [
        Band(
            round(y_of(kind.band[1]), 1),
            round(y_of(kind.band[0]) - y_of(kind.band[1]), 1),
            _band_label(kind),
        )
        for kind in kinds
        if kind.band
    ]
    ticks = [
        Tick(round(y_of(v), 1), _number(v, decimals))
        for v in (low + pad, (low + high) / 2, high - pad)
    ]
    return TrendChart(
        title=title,
        unit=unit,
        series=drawn,
        bands=bands,
        ticks=ticks,
        first=f"{start:%Y-%m-%d}",
        last=f"{end:%Y-%m-%d}",
        summary=_summary(title, kinds, series, decimals),
    )


def _summary(
    title: str, kinds: tuple[VitalKind, ...], series: dict[str, list[Reading]], decimals: int
) -> str:
    parts = []
    for kind in kinds:
        readings = series.get(kind.key, [])
        if not readings:
            continue
        latest = readings[-1]
        values = [r.value for r in readings]
        text = (
            f"{kind.label}: latest {_number(latest.value, decimals)} {kind.unit_label} on "
            f"{latest.when:%Y-%m-%d %H:%M}; {len(readings)} readings from "
            f"{_number(min(values), decimals)} to {_number(max(values), decimals)}"
        )
        if kind.band:
            outside = sum(1 for v in values if not kind.band[0] <= v <= kind.band[1])
            text += f"; {outside} outside the usual range {_band_label(kind)}"
        parts.append(text)
    return f"{title}. " + ". ".join(parts) + "."


def _band_label(kind: VitalKind) -> str:
    assert kind.band is not None
    low, high = kind.band
    return (
        f"{_number(low, kind.decimals)}\N{EN DASH}{_number(high, kind.decimals)} {kind.unit_label}"
    )


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def vitals_charts(vitals, points: int = CHART_POINTS) -> list[TrendChart]:
    """One chart per vital sign (blood pressure's two series together), of the latest `points`
    readings each: more dots than that do not fit the chart's width."""
    from clinical.vitals.definitions import CHARTS

    charts = []
    for title, kinds in CHARTS:
        series = {kind.key: vitals.series(kind)[-points:] for kind in kinds}
        charts.append(trend_chart(title, kinds, series, decimals=kinds[0].decimals))
    return charts
