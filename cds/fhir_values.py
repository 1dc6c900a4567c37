"""Reading values out of FHIR JSON: codes, dates, ages, bundle entries. Pure functions."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"

Resource = dict[str, Any]


def codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict) and c.get("code")]


def code_keys(concept: Any) -> set[str]:
    """`system|code` and bare `code` for each coding, to match either form."""
    keys: set[str] = set()
    for coding in codings(concept):
        keys.add(str(coding["code"]))
        keys.add(f"{coding.get('system', '')}|{coding['code']}")
    return keys


def has_code(concept: Any, wanted: Iterable[str]) -> bool:
    return not code_keys(concept).isdisjoint(wanted)


def concept_text(concept: Any, default: str = "") -> str:
    if not isinstance(concept, dict):
        return default
    if concept.get("text"):
        return str(concept["text"])
    for coding in codings(concept):
        if coding.get("display"):
            return str(coding["display"])
    return next((str(c["code"]) for c in codings(concept)), default)


def parse_datetime(value: Any) -> datetime | None:
    """A FHIR date, dateTime or instant as an aware datetime (dates at midnight UTC)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        if len(text) <= 10:
            parts = [int(p) for p in text.split("-")] + [1, 1]
            return datetime.combine(date(parts[0], parts[1], parts[2]), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def effective_time(resource: Resource) -> datetime | None:
    """When an Observation or Immunization happened (effective/occurrence, else issued)."""
    for key in ("effectiveDateTime", "effectiveInstant", "occurrenceDateTime", "issued"):
        if found := parse_datetime(resource.get(key)):
            return found
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        return parse_datetime(period.get("end")) or parse_datetime(period.get("start"))
    return None


def age_in_years(birth_date: Any, on: date) -> int | None:
    born = parse_datetime(birth_date)
    if born is None:
        return None
    born_day = born.date()
    return on.year - born_day.year - ((on.month, on.day) < (born_day.month, born_day.day))


def bundle_resources(bundle: Any, resource_type: str | None = None) -> list[Resource]:
    """The resources of a Bundle's entries, skipping `include` and `outcome` search entries."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return []
    found = []
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        mode = (entry.get("search") or {}).get("mode", "match") if isinstance(entry, dict) else ""
        if not isinstance(resource, dict) or mode not in ("match", ""):
            continue
        if resource_type is None or resource.get("resourceType") == resource_type:
            found.append(resource)
    return found


def is_active_condition(condition: Resource) -> bool:
    clinical = code_keys(condition.get("clinicalStatus"))
    verification = code_keys(condition.get("verificationStatus"))
    if verification & {"refuted", "entered-in-error"}:
        return False
    return not clinical or bool(clinical & {"active", "recurrence", "relapse"})


def quantity_value(value: Any) -> float | None:
    if isinstance(value, dict) and isinstance(value.get("value"), int | float):
        return float(value["value"])
    return None


def format_quantity(value: Any) -> str:
    number = quantity_value(value)
    if number is None:
        return "?"
    unit = value.get("unit") or value.get("code") or ""
    return f"{number:g} {unit}".strip()


def reference_to(resource: Resource) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"
