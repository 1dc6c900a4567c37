"""Lab results as the Results tab, the summary and the inbox show them."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser

from cds.services.critical_results import ACKNOWLEDGED
from clinical.fhir.codes import ABNORMAL_FLAGS, CRITICAL_FLAGS, LOINC
from clinical.fhir.display import (
    clinical_time,
    concept_text,
    first_coding,
    interpretation_codes,
    observation_value,
    parse_datetime,
    reference_range_text,
)
from clinical.fhir.reads import Resource, belongs_to, read, reference_id, search
from clinical.vitals.charts import TrendChart, trend_chart
from clinical.vitals.definitions import VitalKind
from clinical.vitals.selectors import Reading

REPORTABLE = ("final", "amended", "corrected", "preliminary")
RESULTS_READ_MAX = 500
RESULTS_PAGE = 80  # the Results tab shows this many, newest first; "older" pages by date
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ResultRow:
    observation_id: str
    patient_id: str
    name: str
    code: str
    value: str
    number: float | None
    unit: str
    flags: frozenset[str]
    reference_range: str
    when: datetime | None
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str
    acknowledged: bool
    based_on: tuple[str, ...]  # ServiceRequest ids

    @property
    def abnormal(self) -> bool:
        return bool(self.flags & ABNORMAL_FLAGS)

    @property
    def critical(self) -> bool:
        return bool(self.flags & CRITICAL_FLAGS)

    @property
    def flag(self) -> str:
        return "critical" if self.critical else "abnormal" if self.abnormal else ""


def result_row(observation: Resource) -> ResultRow:
    quantity = observation.get("valueQuantity") or {}
    number = quantity.get("value")
    ack = next(
        (e for e in observation.get("extension") or [] if e.get("url") == ACKNOWLEDGED), None
    )
    ack_parts = {p.get("url"): p for p in (ack or {}).get("extension") or []}
    return ResultRow(
        observation_id=observation["id"],
        patient_id=reference_id(observation.get("subject"), "Patient") or "",
        name=concept_text(observation.get("code"), "unnamed result"),
        code=first_coding(observation.get("code"), LOINC).get("code", "")
        or first_coding(observation.get("code")).get("code", ""),
        value=observation_value(observation),
        number=float(number) if isinstance(number, int | float) else None,
        unit=quantity.get("unit") or quantity.get("code") or "",
        flags=frozenset(interpretation_codes(observation)),
        reference_range=reference_range_text(observation),
        when=clinical_time(observation),
        status=observation.get("status", ""),
        acknowledged_at=parse_datetime((ack_parts.get("at") or {}).get("valueDateTime")),
        acknowledged_by=((ack_parts.get("by") or {}).get("valueReference") or {}).get("display", "")
        or ((ack_parts.get("by") or {}).get("valueReference") or {}).get("reference", ""),
        acknowledged=ack is not None,
        based_on=tuple(
            i
            for ref in observation.get("basedOn") or []
            if (i := reference_id(ref, "ServiceRequest"))
        ),
    )


def patient_lab_results(
    *,
    user: AbstractBaseUser,
    patient_id: str,
    count: int = RESULTS_READ_MAX,
    before: datetime | None = None,
) -> list[ResultRow]:
    params = [("patient", patient_id), ("category", "laboratory"), ("_sort", "-date")]
    if before is not None:
        params.append(("date", f"lt{before.isoformat()}"))
    found = search(user, "Observation", params, count=count)
    return [result_row(o) for o in found if o.get("status") in REPORTABLE]


def recent_abnormal_results(
    *, user: AbstractBaseUser, patient_id: str, limit: int = 10
) -> list[ResultRow]:
    rows = patient_lab_results(user=user, patient_id=patient_id, count=100)
    return [r for r in rows if r.abnormal][:limit]


@dataclass(frozen=True)
class ResultPage:
    groups: list["ResultGroup"]
    older_than: datetime | None  # where the next (older) page starts; None on the last page


@dataclass(frozen=True)
class ResultGroup:
    title: str
    report_id: str
    when: datetime | None
    rows: list[ResultRow]

    @property
    def abnormal_count(self) -> int:
        return sum(1 for r in self.rows if r.abnormal)


def grouped_results(
    *, user: AbstractBaseUser, patient_id: str, before: datetime | None = None
) -> ResultPage:
    """A page of results under their DiagnosticReport (panel), newest first; the others by
    date. `before`: only results taken before then (the next page)."""
    rows = patient_lab_results(
        user=user, patient_id=patient_id, count=RESULTS_PAGE + 1, before=before
    )
    more = len(rows) > RESULTS_PAGE
    rows = rows[:RESULTS_PAGE]
    by_id = {r.observation_id: r for r in rows}
    oldest = min((r.when for r in rows if r.when), default=None)
    report_params = [("patient", patient_id), ("_sort", "-date")]
    if oldest is not None:
        report_params.append(("date", f"ge{oldest.isoformat()}"))
    if before is not None:
        report_params.append(("date", f"lt{before.isoformat()}"))
    reports = search(user, "DiagnosticReport", report_params, count=RESULTS_PAGE)
    groups, placed = [], set()
    for report in reports:
        members = [
            by_id[i]
            for ref in report.get("result") or []
            if (i := reference_id(ref, "Observation")) and i in by_id
        ]
        if not members:
            continue
        placed.update(r.observation_id for r in members)
        groups.append(
            ResultGroup(
                concept_text(report.get("code"), "Report"),
                report["id"],
                clinical_time(report),
                members,
            )
        )
    loose: dict[str, list[ResultRow]] = {}
    for row in rows:
        if row.observation_id not in placed:
            day = f"{row.when:%Y-%m-%d}" if row.when else "undated"
            loose.setdefault(day, []).append(row)
    for day, members in loose.items():
        groups.append(ResultGroup(f"Results of {day}", "", members[0].when, members))
    groups.sort(key=lambda g: g.when or EARLIEST, reverse=True)
    return ResultPage(groups, oldest if more else None)


def analyte_trend(
    *, user: AbstractBaseUser, patient_id: str, code: str
) -> tuple[list[ResultRow], TrendChart | None]:
    found = search(
        user,
        "Observation",
        [("patient", patient_id), ("code", f"{LOINC}|{code}"), ("_sort", "-date")],
        count=200,
    )
    rows = [result_row(o) for o in found if o.get("status") in REPORTABLE]
    numeric = [r for r in rows if r.number is not None and r.when is not None]
    if not numeric:
        return rows, None
    latest = found[0]
    band = _band(latest)
    kind = VitalKind(
        code,
        numeric[0].name,
        code,
        numeric[0].name,
        numeric[0].unit,
        numeric[0].unit,
        (0, 0),
        band,
        decimals=_decimals(numeric),
    )
    readings = sorted((Reading(kind, r.when, r.number) for r in numeric), key=lambda r: r.when)  # type: ignore[arg-type]
    return rows, trend_chart(numeric[0].name, (kind,), {kind.key: readings}, decimals=kind.decimals)


def patient_observation(
    *, user: AbstractBaseUser, patient_id: str, observation_id: str
) -> Resource | None:
    observation = read(user, "Observation", observation_id)
    return observation if belongs_to(observation, patient_id) else None


def _band(observation: Resource) -> tuple[float, float] | None:
    ranges = observation.get("referenceRange") or []
    if not ranges:
        return None
    low = (ranges[0].get("low") or {}).get("value")
    high = (ranges[0].get("high") or {}).get("value")
    if isinstance(low, int | float) and isinstance(high, int | float):
        return (float(low), float(high))
    return None


def _decimals(rows: list[ResultRow]) -> int:
    return 0 if all(r.number is not None and float(r.number).is_integer() for r in rows) else 1
