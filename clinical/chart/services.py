"""Opening a chart: the access decision (restricted charts, break-the-glass) and its audit
record. Every chart page and fragment goes through chart_open, so every view is audited."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from clinical.chart_access.selectors import ChartAccess, ChartDecision, chart_access_check
from clinical.fhir.reads import read
from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import MINOR_FAILURE, SUCCESS, audit_record


class ChartError(Exception):
    pass


class ChartForbidden(ChartError):
    pass


class ChartNeedsGlass(ChartError):
    pass


class ChartNotFound(ChartError):
    pass


@dataclass(frozen=True)
class Chart:
    patient_id: str
    patient: dict[str, Any]
    access: ChartAccess

    @property
    def reference(self) -> str:
        return f"Patient/{self.patient_id}"


def chart_open(*, acting_user: AbstractBaseUser, patient_id: str, view: str) -> Chart:
    """The chart if this user may see it now; the attempt is audited either way."""
    access = chart_access_check(user=acting_user, patient_id=patient_id)
    if not access.allowed:
        _audit(acting_user, patient_id, f"workspace {view}: refused ({access.decision})", False)
        if access.decision == ChartDecision.NEEDS_GLASS:
            raise ChartNeedsGlass(patient_id)
        raise ChartForbidden(patient_id)
    patient = read(acting_user, "Patient", patient_id)
    if patient is None:
        _audit(acting_user, patient_id, f"workspace {view}: no such patient", False)
        raise ChartNotFound(patient_id)
    how = " (break-the-glass access)" if access.glass_expires_at else ""
    _audit(acting_user, patient_id, f"workspace {view}{how}", True)
    return Chart(patient_id=patient_id, patient=patient, access=access)


def _audit(user: AbstractBaseUser, patient_id: str, description: str, ok: bool) -> None:
    audit_record(
        kind=REST_KINDS["read"],
        username=user.get_username(),
        outcome=SUCCESS if ok else MINOR_FAILURE,
        patient_id=patient_id,
        resource_type="Patient",
        resource_id=patient_id,
        description=description,
    )
