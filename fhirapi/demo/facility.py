"""The demo hospital: its organizations, wards with beds, clinic, emergency department,
practitioners and their roles. Ids come from the population's seed, like everything else."""

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from fhirapi.demo.catalogue import NUCC
from fhirapi.demo.people import person, phone

IDENTIFIERS = "https://wintehr.example.org/fhir/sid"
NPI = "http://hl7.org/fhir/sid/us-npi"
LOCATION_TYPES = "http://terminology.hl7.org/CodeSystem/location-physical-type"
ROLE_CODES = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ORGANIZATION_TYPES = "http://terminology.hl7.org/CodeSystem/organization-type"
PRACTITIONER_ROLES = "http://terminology.hl7.org/CodeSystem/practitioner-role"
BEDS_PER_WARD = 6

# (key, name, unit type code, unit type display)
WARDS = (
    ("ward-3a", "Ward 3A - General Medicine", "HU", "Hospital unit"),
    ("ward-4b", "Ward 4B - Surgery", "HU", "Hospital unit"),
    ("icu", "Intensive Care Unit", "ICU", "Intensive care unit"),
)
# (role, NUCC taxonomy code, specialty, how many)
STAFF = (
    ("doctor", "208D00000X", "General Practice", 3),
    ("doctor", "207R00000X", "Internal Medicine", 2),
    ("doctor", "207RC0000X", "Cardiovascular Disease", 1),
    ("doctor", "207P00000X", "Emergency Medicine", 1),
    ("doctor", "2085R0202X", "Diagnostic Radiology", 1),
    ("nurse", "163W00000X", "Registered Nurse", 2),
    ("pharmacist", "183500000X", "Pharmacist", 1),
)


class Ids:
    """Stable ids: the same seed and key give the same id on every run."""

    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"https://wintehr.example.org/demo/{seed}")

    def __call__(self, *key: object) -> str:
        return str(uuid.uuid5(self.namespace, "/".join(str(part) for part in key)))


def ref(resource: dict[str, Any]) -> dict[str, str]:
    reference = {"reference": f"{resource['resourceType']}/{resource['id']}"}
    name = resource.get("name")
    if isinstance(name, str):
        reference["display"] = name
    elif isinstance(name, list):
        reference["display"] = " ".join(
            [*name[0].get("prefix", []), *name[0]["given"], name[0]["family"]]
        )
    return reference


@dataclass
class Facility:
    hospital: dict[str, Any]
    clinic: dict[str, Any]
    laboratory: dict[str, Any]
    clinic_location: dict[str, Any]
    emergency: dict[str, Any]
    wards: list[dict[str, Any]]
    beds: dict[str, list[dict[str, Any]]]  # ward id -> its beds
    staff: dict[str, list[dict[str, Any]]]  # specialty -> practitioners
    resources: list[dict[str, Any]] = field(default_factory=list)

    def doctors(self, specialty: str) -> list[dict[str, Any]]:
        return self.staff[specialty]


def build_facility(ids: Ids, rng: random.Random) -> Facility:
    hospital = _organization(
        ids, "hospital", "WintEHR General Hospital", "prov", "Healthcare Provider"
    )
    clinic = _organization(
        ids, "clinic", "WintEHR Family Medicine Clinic", "prov", "Healthcare Provider"
    )
    laboratory = _organization(
        ids, "laboratory", "WintEHR Clinical Laboratory", "dept", "Hospital Department"
    )
    clinic["partOf"] = ref(hospital)
    laboratory["partOf"] = ref(hospital)
    clinic_location = _location(
        ids, "clinic", "Family Medicine Clinic", "bu", "Building", ref(clinic)
    )
    emergency = _location(ids, "emergency", "Emergency Department", "wa", "Ward", ref(hospital))
    emergency["type"] = [_concept(ROLE_CODES, "ER", "Emergency room")]
    wards, beds = [], {}
    for key, name, unit, unit_display in WARDS:
        ward = _location(ids, key, name, "wa", "Ward", ref(hospital))
        ward["type"] = [_concept(ROLE_CODES, unit, unit_display)]
        wards.append(ward)
        beds[ward["id"]] = [_bed(ids, key, ward, number) for number in range(1, BEDS_PER_WARD + 1)]
    facility = Facility(hospital, clinic, laboratory, clinic_location, emergency, wards, beds, {})
    facility.resources = [hospital, clinic, laboratory, clinic_location, emergency, *wards]
    facility.resources += [bed for ward_beds in beds.values() for bed in ward_beds]
    _add_staff(ids, rng, facility)
    return facility


def _add_staff(ids: Ids, rng: random.Random, facility: Facility) -> None:
    number = 0
    for role, taxonomy, specialty, count in STAFF:
        for _ in range(count):
            number += 1
            practitioner = _practitioner(ids, rng, number, role)
            facility.staff.setdefault(specialty, []).append(practitioner)
            organization = facility.clinic if specialty == "General Practice" else facility.hospital
            facility.resources += [
                practitioner,
                {
                    "resourceType": "PractitionerRole",
                    "id": ids("practitioner-role", number),
                    "active": True,
                    "practitioner": ref(practitioner),
                    "organization": ref(organization),
                    "code": [_concept(PRACTITIONER_ROLES, role, role.title())],
                    "specialty": [_concept(NUCC, taxonomy, specialty)],
                },
            ]


def _practitioner(ids: Ids, rng: random.Random, number: int, role: str) -> dict[str, Any]:
    who = person(rng)
    name: dict[str, Any] = {"family": who.family, "given": [who.given]}
    if role == "doctor":
        name["prefix"] = ["Dr."]
    return {
        "resourceType": "Practitioner",
        "id": ids("practitioner", number),
        "identifier": [{"system": NPI, "value": f"99990{number:05d}"}],
        "active": True,
        "name": [name],
        "gender": who.gender,
        "telecom": [{**phone(rng), "use": "work"}],
    }


def _organization(ids: Ids, key: str, name: str, code: str, display: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": ids("organization", key),
        "identifier": [{"system": f"{IDENTIFIERS}/organization", "value": key}],
        "active": True,
        "type": [_concept(ORGANIZATION_TYPES, code, display)],
        "name": name,
        "address": [
            {
                "line": ["1 Hospital Drive"],
                "city": "Springfield",
                "state": "MA",
                "postalCode": "01103",
                "country": "US",
            }
        ],
    }


def _location(
    ids: Ids, key: str, name: str, kind: str, kind_display: str, organization: dict[str, str]
) -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": ids("location", key),
        "identifier": [{"system": f"{IDENTIFIERS}/location", "value": key}],
        "status": "active",
        "name": name,
        "mode": "instance",
        "physicalType": _concept(LOCATION_TYPES, kind, kind_display),
        "managingOrganization": organization,
    }


def _bed(ids: Ids, ward_key: str, ward: dict[str, Any], number: int) -> dict[str, Any]:
    name = f"{ward['name']}, bed {number}"
    organization = ward["managingOrganization"]
    bed = _location(ids, f"{ward_key}-bed-{number}", name, "bd", "Bed", organization)
    bed["partOf"] = ref(ward)
    return bed


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}
