"""What happens to a patient at one point in their story."""

from dataclasses import dataclass
from datetime import datetime

from fhirapi.demo.catalogue import Acute, Chronic, Code


@dataclass(frozen=True)
class Visit:
    kind: str  # a key of ENCOUNTER_TYPES
    start: datetime
    end: datetime | None  # None: still in hospital
    acute: Acute | None = None
    chronic: Chronic | None = None  # what a follow-up is about
    admission: tuple[Code, tuple[Code, ...]] | None = None
