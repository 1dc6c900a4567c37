"""Names and places for the demo population (invented; any likeness is chance)."""

import random
from dataclasses import dataclass

FEMALE = (
    "Amara", "Beatriz", "Chloe", "Dana", "Elena", "Fatima", "Grace", "Hana", "Ines", "Julia",
    "Keiko", "Leah", "Maria", "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Tamar", "Yara",
)  # fmt: skip
MALE = (
    "Aaron", "Bruno", "Carlos", "Daniel", "Emeka", "Felix", "George", "Hassan", "Ivan", "James",
    "Kenji", "Liam", "Mateo", "Noah", "Omar", "Pavel", "Rahul", "Samuel", "Tomas", "Victor",
)  # fmt: skip
FAMILY = (
    "Abbott", "Baker", "Castillo", "Dimitrov", "Eriksen", "Fontaine", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
    "Santos", "Tanaka", "Urquhart", "Varga", "Weber", "Xu", "Yilmaz", "Zimmermann",
)  # fmt: skip
STREETS = ("Maple Avenue", "Harbor Road", "Oak Street", "Mill Lane", "Cedar Court", "Elm Drive")
CITIES = (
    ("Springfield", "MA", "01103"),
    ("Worcester", "MA", "01608"),
    ("Lowell", "MA", "01852"),
    ("Cambridge", "MA", "02139"),
    ("Quincy", "MA", "02169"),
)


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    gender: str  # FHIR administrative gender


def person(rng: random.Random, gender: str | None = None) -> Person:
    gender = gender or rng.choice(("female", "male"))
    given = rng.choice(FEMALE if gender == "female" else MALE)
    return Person(given, rng.choice(FAMILY), gender)


def address(rng: random.Random) -> dict:
    city, state, postal_code = rng.choice(CITIES)
    return {
        "use": "home",
        "line": [f"{rng.randint(1, 299)} {rng.choice(STREETS)}"],
        "city": city,
        "state": state,
        "postalCode": postal_code,
        "country": "US",
    }


def phone(rng: random.Random) -> dict:
    return {"system": "phone", "value": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"}
