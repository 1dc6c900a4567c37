"""A patient's vital signs as readings, sets (one row per time taken) and series per kind."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.codes import LOINC
from clinical.fhir.display import clinical_time, first_coding
from clinical.fhir.reads import Resource, search
from clinical.vitals.definitions import ALL_KINDS, BLOOD_PRESSURE_PANEL, BY_CODE, VitalKind

VITALS_READ_MAX = 240  # newest readings: the charts draw 60 per vital sign
TABLE_ROWS = 15
REPORTABLE = ("final", "amended", "corrected", "preliminary")


@dataclass(frozen=True)
class Reading:
    kind: VitalKind
    when: datetime
    value: float


@dataclass
class VitalSet:
    when: datetime
    values: dict[str, float] = field(default_factory=dict)

    def cells(self) -> list[tuple[VitalKind, float | None]]:
        return [(kind, self.values.get(kind.key)) for kind in ALL_KINDS]


@dataclass(frozen=True)
class Vitals:
    readings: list[Reading]  # newest first

    def sets(self, limit: int = TABLE_ROWS) -> list[VitalSet]:
        rows: dict[datetime, VitalSet] = {}
        for reading in self.readings:
            moment = reading.when.replace(second=0, microsecond=0)
            if moment not in rows and len(rows) >= limit:
                continue
            rows.setdefault(moment, VitalSet(moment)).values.setdefault(
                reading.kind.key, reading.value
            )
        return sorted(rows.values(), key=lambda row: row.when, reverse=True)

    def series(self, kind: VitalKind) -> list[Reading]:
        """Oldest first, as a chart draws them."""
        return sorted((r for r in self.readings if r.kind == kind), key=lambda r: r.when)

    def latest(self) -> dict[str, Reading]:
        found: dict[str, Reading] = {}
        for reading in self.readings:
            current = found.get(reading.kind.key)
            if current is None or reading.when > current.when:
                found[reading.kind.key] = reading
        return found


def patient_vitals(
    *, user: AbstractBaseUser, patient_id: str, count: int = VITALS_READ_MAX
) -> Vitals:
    observations = search(
        user,
        "Observation",
        [("patient", patient_id), ("category", "vital-signs"), ("_sort", "-date")],
        count=count,
    )
    readings = [r for o in observations if o.get("status") in REPORTABLE for r in readings_of(o)]
    readings.sort(key=lambda r: r.when, reverse=True)
    return Vitals(readings)


def readings_of(observation: Resource) -> list[Reading]:
    when = clinical_time(observation)
    if when is None:
        return []
    code = first_coding(observation.get("code"), LOINC).get("code")
    if code == BLOOD_PRESSURE_PANEL[0] or observation.get("component"):
        parts = [
            (first_coding(c.get("code"), LOINC).get("code"), c)
            for c in observation.get("component") or []
        ]
    else:
        parts = [(code, observation)]
    readings = []
    for part_code, holder in parts:
        kind = BY_CODE.get(part_code or "")
        value = (holder.get("valueQuantity") or {}).get("value")
        if kind is not None and isinstance(value, int | float):
            readings.append(Reading(kind, when, float(value)))
    return readings
