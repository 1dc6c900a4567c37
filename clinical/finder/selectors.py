"""Finding patients. Demographics are shown to anyone who may use the finder (clinicians and
the front desk); the chart behind a result still goes through chart_view."""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase

from clinical.chart_access.models import RestrictedChart
from clinical.fhir.display import age_in_years, concept_text, human_name, medical_record_number
from clinical.fhir.reads import Resource, by_ids, reference_id, search
from clinical.finder.services import RECENT_KEY

RESULTS_MAX = 25
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DAY_FIRST_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
WARD_TYPES = frozenset({"wa", "ro", "area"})  # v3 RoleCode / location-physical-type


@dataclass(frozen=True)
class PatientRow:
    patient_id: str
    name: str
    birth_date: str
    age: int | None
    sex: str
    mrn: str
    restricted: bool
    where: str = ""  # the ward list's bed or ward


def search_params(query: str) -> list[tuple[str, str]]:
    """`smith 1970-02-01 12345` → name=smith, birthdate=1970-02-01, identifier=12345."""
    params: list[tuple[str, str]] = []
    for word in query.split():
        if ISO_DATE.fullmatch(word):
            params.append(("birthdate", word))
        elif match := DAY_FIRST_DATE.fullmatch(word):
            day, month, year = match.groups()
            params.append(("birthdate", f"{year}-{int(month):02d}-{int(day):02d}"))
        elif any(ch.isdigit() for ch in word):
            params.append(("identifier", word.replace(",", r"\,")))
        elif len(word.strip(",")) >= 1:
            params.append(("name", word.strip(",").replace(",", r"\,")))
    return params


def patient_search(*, user: AbstractBaseUser, query: str) -> list[PatientRow]:
    params = search_params(query.strip())
    if not params:
        return []
    found = search(
        user, "Patient", [*params, ("_sort", "family")], count=RESULTS_MAX, directory=True
    )
    return _rows(found)


def recent_patients(*, user: AbstractBaseUser, session: SessionBase) -> list[PatientRow]:
    ids = list(session.get(RECENT_KEY, []))
    found = by_ids(user, "Patient", ids, directory=True)
    return _rows([found[i] for i in ids if i in found])


@dataclass(frozen=True)
class Ward:
    location_id: str
    name: str


def wards(*, user: AbstractBaseUser) -> list[Ward]:
    """Locations that are wards (physicalType), else every location that is not a bed."""
    locations = search(user, "Location", [("status", "active")], count=500)
    typed = [loc for loc in locations if _physical_type(loc) in WARD_TYPES]
    chosen = typed or [loc for loc in locations if _physical_type(loc) != "bd"]
    return sorted((Ward(loc["id"], loc.get("name", loc["id"])) for loc in chosen), key=_by_name)


def ward_patients(*, user: AbstractBaseUser, location_id: str) -> list[PatientRow]:
    """Patients with an in-progress encounter at the location or one of its beds/rooms."""
    places = {location_id: None} | {
        loc["id"]: loc for loc in search(user, "Location", [("partof", location_id)], count=500)
    }
    where = ",".join(f"Location/{place}" for place in places)
    encounters = search(
        user,
        "Encounter",
        [("status", "in-progress"), ("location", where)],
        count=500,
        directory=True,
    )
    spot: dict[str, str] = {}
    for encounter in encounters:
        patient_id = reference_id(encounter.get("subject"), "Patient")
        if patient_id:
            spot[patient_id] = _where(encounter, places)
    patients = by_ids(user, "Patient", list(spot), directory=True)
    rows = _rows(list(patients.values()), where=spot)
    return sorted(rows, key=lambda row: (row.where, row.name))


def _where(encounter: Resource, places: dict[str, Any]) -> str:
    for item in encounter.get("location") or []:
        place_id = reference_id(item.get("location"), "Location")
        place = places.get(place_id or "")
        if place is not None:
            return place.get("name", place_id)
    return ""


def _rows(patients: list[Resource], where: dict[str, str] | None = None) -> list[PatientRow]:
    restricted = (
        set(
            RestrictedChart.objects.filter(patient_id__in=[p["id"] for p in patients]).values_list(
                "patient_id", flat=True
            )
        )
        if patients
        else set()
    )
    return [
        PatientRow(
            patient_id=p["id"],
            name=human_name(p),
            birth_date=p.get("birthDate", ""),
            age=age_in_years(p.get("birthDate")),
            sex=p.get("gender", ""),
            mrn=medical_record_number(p),
            restricted=p["id"] in restricted,
            where=(where or {}).get(p["id"], ""),
        )
        for p in patients
    ]


def _physical_type(location: Resource) -> str:
    coding = ((location.get("physicalType") or {}).get("coding") or [{}])[0]
    return coding.get("code", "") or concept_text(location.get("physicalType")).lower()


def _by_name(ward: Ward) -> str:
    return ward.name.lower()
