from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.codes import CONDITION_CLINICAL, CONDITION_VERIFICATION
from clinical.fhir.display import concept_text, first_coding, parse_datetime
from clinical.fhir.reads import Resource, belongs_to, read, search

ACTIVE_STATUSES = ("active", "recurrence", "relapse")


@dataclass(frozen=True)
class ProblemRow:
    condition_id: str
    name: str
    system: str
    code: str
    clinical_status: str
    verification: str
    onset: datetime | None
    abated: datetime | None
    note: str
    version: str

    @property
    def active(self) -> bool:
        return self.clinical_status in ACTIVE_STATUSES


def problem_row(condition: Resource) -> ProblemRow:
    coding = first_coding(condition.get("code"))
    notes = condition.get("note") or []
    return ProblemRow(
        condition_id=condition["id"],
        name=concept_text(condition.get("code"), "unnamed problem"),
        system=coding.get("system", ""),
        code=coding.get("code", ""),
        clinical_status=first_coding(condition.get("clinicalStatus"), CONDITION_CLINICAL).get(
            "code", ""
        ),
        verification=first_coding(condition.get("verificationStatus"), CONDITION_VERIFICATION).get(
            "code", ""
        ),
        onset=parse_datetime(
            condition.get("onsetDateTime") or (condition.get("onsetPeriod") or {}).get("start")
        ),
        abated=parse_datetime(condition.get("abatementDateTime")),
        note=notes[0].get("text", "") if notes else "",
        version=(condition.get("meta") or {}).get("versionId", ""),
    )


def patient_problems(
    *, user: AbstractBaseUser, patient_id: str, active_only: bool = False
) -> list[ProblemRow]:
    params = [("patient", patient_id)]
    if active_only:
        params.append(("clinical-status", ",".join(ACTIVE_STATUSES)))
    rows = [problem_row(c) for c in search(user, "Condition", params, count=300)]
    rows = [r for r in rows if r.verification != "entered-in-error"]
    return sorted(rows, key=lambda r: (not r.active, r.name.lower()))


def patient_condition(
    *, user: AbstractBaseUser, patient_id: str, condition_id: str
) -> Resource | None:
    """The Condition if it belongs to this patient (a chart never reaches another's data)."""
    condition = read(user, "Condition", condition_id)
    return condition if belongs_to(condition, patient_id) else None
