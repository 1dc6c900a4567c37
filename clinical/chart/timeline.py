"""The timeline: every clinical event of the chart in time order. One bounded search per event
type (each type dates its events differently), merged and sorted here."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import clinical_time, concept_text, observation_value
from clinical.fhir.reads import Resource, search
from clinical.medications.selectors import dosage_text, medication_name

PER_TYPE_MAX = 40
TIMELINE_MAX = 200


@dataclass(frozen=True)
class EventType:
    key: str
    label: str
    resource_type: str
    date_param: str
    fixed: tuple[tuple[str, str], ...] = ()


EVENT_TYPES = (
    EventType("encounters", "Encounters", "Encounter", "date"),
    EventType("problems", "Problems", "Condition", "onset-date"),
    EventType("medications", "Medications", "MedicationRequest", "authoredon"),
    EventType("orders", "Orders", "ServiceRequest", "authored"),
    EventType("vitals", "Vital signs", "Observation", "date", (("category", "vital-signs"),)),
    EventType("results", "Lab results", "Observation", "date", (("category", "laboratory"),)),
    EventType("reports", "Reports", "DiagnosticReport", "date"),
    EventType("notes", "Notes", "DocumentReference", "date"),
    EventType("procedures", "Procedures", "Procedure", "date"),
    EventType("immunizations", "Immunizations", "Immunization", "date"),
    EventType("allergies", "Allergies", "AllergyIntolerance", "date"),
    EventType("imaging", "Imaging", "ImagingStudy", "started"),
)
BY_KEY = {t.key: t for t in EVENT_TYPES}


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str
    kind_key: str
    title: str
    detail: str
    status: str
    reference: str


@dataclass(frozen=True)
class Timeline:
    events: list[Event]
    older_than: datetime | None  # the next page ends here; None when nothing older was left out


def chart_timeline(
    *,
    user: AbstractBaseUser,
    patient_id: str,
    types: list[str],
    since: date | None = None,
    until: date | None = None,
    before: datetime | None = None,
) -> Timeline:
    """Newest first. A type that fills its page sets a horizon: events older than the newest
    such horizon are left for the next page, so no type shows a false gap."""
    events: list[Event] = []
    horizon: datetime | None = None
    for key in types:
        kind = BY_KEY[key]
        params = [("patient", patient_id), *kind.fixed, ("_sort", f"-{kind.date_param}")]
        if since:
            params.append((kind.date_param, f"ge{since.isoformat()}"))
        if until:
            params.append((kind.date_param, f"le{until.isoformat()}"))
        if before:
            params.append((kind.date_param, f"lt{before.isoformat()}"))
        found = search(user, kind.resource_type, params, count=PER_TYPE_MAX)
        dated = [(when, r) for r in found if (when := clinical_time(r)) is not None]
        events += [_event(kind, resource, when) for when, resource in dated]
        if len(found) == PER_TYPE_MAX and dated:
            oldest = min(when for when, _ in dated)
            horizon = oldest if horizon is None else max(horizon, oldest)
    events.sort(key=lambda e: e.when, reverse=True)
    if horizon is not None:
        events = [e for e in events if e.when >= horizon]
    if len(events) > TIMELINE_MAX:
        events = events[:TIMELINE_MAX]
        horizon = events[-1].when
    return Timeline(events, horizon)


def imaging_studies(*, user: AbstractBaseUser, patient_id: str) -> list[Event]:
    return chart_timeline(user=user, patient_id=patient_id, types=["imaging"]).events


def _event(kind: EventType, resource: Resource, when: datetime) -> Event:
    return Event(
        when=when,
        kind=kind.label,
        kind_key=kind.key,
        title=_title(resource),
        detail=_detail(resource),
        status=_status(resource),
        reference=f"{resource['resourceType']}/{resource['id']}",
    )


def _title(resource: Resource) -> str:
    kind = resource["resourceType"]
    if kind == "MedicationRequest":
        return medication_name(resource)
    if kind == "Encounter":
        types = resource.get("type") or []
        return concept_text(types[0] if types else None) or (resource.get("class") or {}).get(
            "display", "Encounter"
        )
    if kind == "Immunization":
        return concept_text(resource.get("vaccineCode"), "Immunization")
    if kind == "DocumentReference":
        return concept_text(resource.get("type"), "Note")
    if kind == "ImagingStudy":
        return resource.get("description") or "Imaging study"
    return concept_text(resource.get("code"), kind)


def _detail(resource: Resource) -> str:
    kind = resource["resourceType"]
    if kind == "Observation":
        return observation_value(resource)
    if kind == "MedicationRequest":
        return dosage_text(resource)
    if kind == "DocumentReference":
        return resource.get("description", "")
    return ""


def _status(resource: Resource) -> str:
    for key in ("status", "docStatus"):
        if isinstance(resource.get(key), str):
            return resource[key]
    return concept_text(resource.get("clinicalStatus"))
