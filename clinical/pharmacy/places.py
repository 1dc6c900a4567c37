"""Where an order's patient is: the ward (and bed) of the order's encounter, from one search of
the Locations (wards are few; beds point to their ward with partOf)."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import concept_text
from clinical.fhir.reads import Resource, reference_id, search

WARD_TYPE = "wa"  # location-physical-type
LOCATIONS_MAX = 1000


@dataclass(frozen=True)
class Place:
    ward_id: str
    ward: str
    spot: str  # the bed or room inside the ward, when known


NOWHERE = Place("", "", "")


class Places:
    def __init__(self, user: AbstractBaseUser) -> None:
        found = search(user, "Location", [], count=LOCATIONS_MAX)
        self.locations: dict[str, Resource] = {loc["id"]: loc for loc in found}

    def wards(self) -> list[tuple[str, str]]:
        wards = [loc for loc in self.locations.values() if _physical_type(loc) == WARD_TYPE]
        return sorted(((w["id"], w.get("name", w["id"])) for w in wards), key=lambda w: w[1])

    def of_encounter(self, encounter: Resource | None) -> Place:
        """The encounter's current place; the bed when it names both the ward and a bed."""
        found = []
        for item in (encounter or {}).get("location") or []:
            if item.get("status", "active") not in ("active", "reserved"):
                continue
            location_id = reference_id(item.get("location"), "Location")
            if location_id:
                display = (item.get("location") or {}).get("display", "")
                found.append(self.of_location(location_id, display))
        return next((p for p in found if p.spot), found[0] if found else NOWHERE)

    def of_location(self, location_id: str, display: str = "") -> Place:
        start = self.locations.get(location_id)
        name = (start or {}).get("name") or display or location_id
        current, seen = start, set()
        while current is not None and current["id"] not in seen:
            seen.add(current["id"])
            if _physical_type(current) == WARD_TYPE:
                ward_name = current.get("name", current["id"])
                spot = "" if current["id"] == location_id else name.removeprefix(f"{ward_name}, ")
                return Place(current["id"], ward_name, spot)
            parent = reference_id(current.get("partOf"), "Location")
            current = self.locations.get(parent or "")
        return Place(location_id, name, "")


def _physical_type(location: Resource) -> str:
    for coding in (location.get("physicalType") or {}).get("coding") or []:
        if coding.get("code"):
            return coding["code"]
    return concept_text(location.get("physicalType")).lower()
