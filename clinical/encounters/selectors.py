from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import concept_text, parse_datetime
from clinical.fhir.reads import Resource, belongs_to, by_ids, read, reference_id, search

OPEN_STATUSES = ("planned", "arrived", "triaged", "in-progress", "onleave")


@dataclass(frozen=True)
class EncounterRow:
    encounter_id: str
    kind: str
    class_code: str
    status: str
    start: datetime | None
    end: datetime | None
    location: str
    reason: str

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


def patient_encounters(*, user: AbstractBaseUser, patient_id: str) -> list[EncounterRow]:
    found = search(user, "Encounter", [("patient", patient_id), ("_sort", "-date")], count=200)
    location_ids = [
        i
        for e in found
        for item in e.get("location") or []
        if (i := reference_id(item.get("location"), "Location"))
    ]
    locations = by_ids(user, "Location", location_ids)
    return [_row(e, locations) for e in found]


def _row(encounter: Resource, locations: dict[str, Resource]) -> EncounterRow:
    names = []
    for item in encounter.get("location") or []:
        location = item.get("location") or {}
        place = locations.get(reference_id(location, "Location") or "")
        names.append(location.get("display") or (place or {}).get("name", ""))
    types = encounter.get("type") or []
    period = encounter.get("period") or {}
    cls = encounter.get("class") or {}
    return EncounterRow(
        encounter_id=encounter["id"],
        kind=concept_text(types[0] if types else None) or cls.get("display", "Encounter"),
        class_code=cls.get("code", ""),
        status=encounter.get("status", ""),
        start=parse_datetime(period.get("start")),
        end=parse_datetime(period.get("end")),
        location=", ".join(n for n in names if n),
        reason="; ".join(concept_text(c) for c in encounter.get("reasonCode") or []),
    )


def patient_encounter(
    *, user: AbstractBaseUser, patient_id: str, encounter_id: str
) -> Resource | None:
    encounter = read(user, "Encounter", encounter_id)
    return encounter if belongs_to(encounter, patient_id) else None


def location_choices(*, user: AbstractBaseUser) -> list[tuple[str, str]]:
    found = search(user, "Location", [("status", "active")], count=500)
    return sorted(
        ((loc["id"], loc.get("name", loc["id"])) for loc in found), key=lambda c: c[1].lower()
    )
