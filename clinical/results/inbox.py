"""The results inbox: unacknowledged lab results of a clinician's patients (those they ordered
for, those whose encounters they attend), abnormal first."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from clinical.chart_access.models import RestrictedChart
from clinical.chart_access.selectors import chart_access_check
from clinical.fhir.display import human_name
from clinical.fhir.practitioners import practitioner_id
from clinical.fhir.reads import by_ids, reference_id, search
from clinical.results.selectors import ResultRow, result_row

INBOX_DAYS = 90
INBOX_MAX = 200


@dataclass(frozen=True)
class InboxItem:
    result: ResultRow
    patient_name: str


def results_inbox(*, user: AbstractBaseUser) -> list[InboxItem]:
    me = f"Practitioner/{practitioner_id(user)}"
    orders = search(user, "ServiceRequest", [("requester", me)], count=500)
    encounters = search(user, "Encounter", [("participant", me)], count=200)
    patient_ids = {
        i for r in [*orders, *encounters] if (i := reference_id(r.get("subject"), "Patient"))
    }
    if not patient_ids:
        return []
    since = (timezone.now() - timedelta(days=INBOX_DAYS)).date().isoformat()
    observations = search(
        user,
        "Observation",
        [
            ("patient", ",".join(sorted(patient_ids))),
            ("category", "laboratory"),
            ("date", f"ge{since}"),
            ("_sort", "-date"),
        ],
        count=INBOX_MAX,
    )
    rows = [
        row
        for o in observations
        if o.get("status") in ("final", "amended", "corrected", "preliminary")
        and not (row := result_row(o)).acknowledged
    ]
    visible = _openable(user, {r.patient_id for r in rows})
    patients = by_ids(user, "Patient", list(visible))
    rows = [r for r in rows if r.patient_id in visible]
    rows.sort(key=lambda r: (not r.critical, not r.abnormal))  # stable: newest first within
    return [InboxItem(r, human_name(patients.get(r.patient_id))) for r in rows]


def _openable(user: AbstractBaseUser, patient_ids: set[str]) -> set[str]:
    """Drop the patients whose (restricted) chart the user may not open now."""
    restricted = set(
        RestrictedChart.objects.filter(patient_id__in=patient_ids).values_list(
            "patient_id", flat=True
        )
    )
    return {
        p
        for p in patient_ids
        if p not in restricted or chart_access_check(user=user, patient_id=p).allowed
    }
