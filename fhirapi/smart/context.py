"""The launch context an authorization carries from the launch to its tokens."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SmartContext:
    patient_id: str = ""
    encounter_id: str = ""

    def fields(self) -> dict[str, str]:
        """The model fields of a LaunchContext (GrantContext, TokenContext)."""
        return {"patient_id": self.patient_id, "encounter_id": self.encounter_id}

    def token_response(self) -> dict[str, Any]:
        """The launch context parameters of a token (and introspection) response."""
        response: dict[str, Any] = {}
        if self.patient_id:
            response["patient"] = self.patient_id
            response["need_patient_banner"] = True
        if self.encounter_id:
            response["encounter"] = self.encounter_id
        return response


NO_CONTEXT = SmartContext()


def context_of(row: Any) -> SmartContext:
    """The context stored in a LaunchContext row (or none when the row is None)."""
    if row is None:
        return NO_CONTEXT
    return SmartContext(patient_id=row.patient_id, encounter_id=row.encounter_id)
