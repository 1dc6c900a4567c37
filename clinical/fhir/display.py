"""FHIR values as the screens show them: names, ages, concepts, quantities, clinical times."""

from datetime import UTC, date, datetime
from typing import Any

from clinical.fhir.codes import IDENTIFIER_TYPE, INTERPRETATION

Resource = dict[str, Any]


def human_name(patient: Resource | None) -> str:
    names = (patient or {}).get("name") or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if name.get("text"):
        return name["text"]
    given = " ".join(name.get("given") or [])
    family = name.get("family") or ""
    if family and given:
        return f"{family.upper()}, {given}"
    return family or given or "(no name)"


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else None
    except ValueError:
        return None


def parse_datetime(value: str | None) -> datetime | None:
    """A FHIR date or dateTime as an aware datetime (dates at midnight UTC); None if absent."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 4:
        text += "-01-01"
    elif len(text) == 7:
        text += "-01"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age_in_years(birth_date: str | None, today: date | None = None) -> int | None:
    born = parse_date(birth_date)
    if born is None:
        return None
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def medical_record_number(patient: Resource | None) -> str:
    """The identifier typed MR (medical record number), else the first identifier's value."""
    identifiers = (patient or {}).get("identifier") or []
    for identifier in identifiers:
        for coding in (identifier.get("type") or {}).get("coding") or []:
            if coding.get("system") == IDENTIFIER_TYPE and coding.get("code") == "MR":
                return identifier.get("value", "")
    return identifiers[0].get("value", "") if identifiers else ""


def concept_text(concept: Any, default: str = "") -> str:
    if not isinstance(concept, dict):
        return default
    if concept.get("text"):
        return concept["text"]
    for coding in concept.get("coding") or []:
        if coding.get("display"):
            return coding["display"]
    for coding in concept.get("coding") or []:
        if coding.get("code"):
            return coding["code"]
    return default


def first_coding(concept: Any, system: str | None = None) -> dict[str, str]:
    for coding in (concept or {}).get("coding") or []:
        if system is None or coding.get("system") == system:
            return coding
    return {}


def has_code(concept: Any, system: str, code: str) -> bool:
    return any(
        c.get("system") == system and c.get("code") == code
        for c in (concept or {}).get("coding") or []
    )


def quantity_text(quantity: Any) -> str:
    if not isinstance(quantity, dict) or quantity.get("value") is None:
        return ""
    value = quantity["value"]
    number = f"{value:g}" if isinstance(value, float) else str(value)
    unit = quantity.get("unit") or quantity.get("code") or ""
    return f"{number} {unit}".strip()


def observation_value(observation: Resource) -> str:
    """The value as text; a panel (blood pressure) as its components joined with `/`."""
    if "valueQuantity" in observation:
        return quantity_text(observation["valueQuantity"])
    if "valueCodeableConcept" in observation:
        return concept_text(observation["valueCodeableConcept"])
    for key in ("valueString", "valueInteger", "valueBoolean"):
        if key in observation:
            return str(observation[key])
    components = observation.get("component") or []
    values = [(c.get("valueQuantity") or {}) for c in components]
    if values and all(v.get("value") is not None for v in values):
        unit = values[0].get("unit") or values[0].get("code") or ""
        return "/".join(f"{v['value']:g}" for v in values) + f" {unit}".rstrip()
    return ""


def clinical_time(resource: Resource) -> datetime | None:
    """When a resource happened clinically (effective, onset, authored, period start, date...)."""
    for key in (
        "effectiveDateTime",
        "onsetDateTime",
        "authoredOn",
        "recordedDate",
        "performedDateTime",
        "occurrenceDateTime",
        "started",
        "date",
        "issued",
        "recorded",
    ):
        if resource.get(key):
            return parse_datetime(resource[key])
    for key in ("effectivePeriod", "period", "performedPeriod", "onsetPeriod"):
        start = (resource.get(key) or {}).get("start")
        if start:
            return parse_datetime(start)
    updated = (resource.get("meta") or {}).get("lastUpdated")
    return parse_datetime(updated)


def interpretation_codes(observation: Resource) -> set[str]:
    return {
        coding.get("code", "")
        for concept in observation.get("interpretation") or []
        for coding in concept.get("coding") or []
        if coding.get("system") in (INTERPRETATION, None)
    }


def reference_range_text(observation: Resource) -> str:
    ranges = observation.get("referenceRange") or []
    if not ranges:
        return ""
    low, high = ranges[0].get("low"), ranges[0].get("high")
    if ranges[0].get("text"):
        return ranges[0]["text"]
    if low and high:
        return f"{quantity_text(low).split()[0]}\N{EN DASH}{quantity_text(high)}"
    if low:
        return f"≥ {quantity_text(low)}"
    if high:
        return f"≤ {quantity_text(high)}"
    return ""
