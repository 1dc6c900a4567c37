"""patient-view "critical results": lab results flagged critical (interpretation HH, LL or AA)
that nobody has acknowledged yet.

Acknowledgement is recorded on the Observation itself, as the extension
`http://wintehr.dev/fhir/StructureDefinition/acknowledged` with sub-extensions `at` (valueDateTime,
required) and `by` (valueReference to the Practitioner). Any Observation carrying that extension
counts as acknowledged. The card's suggestion writes it (an update action); the workspace sets it
the same way."""

from typing import Any

from cds.cards import Action, Card, Suggestion
from cds.fhir_values import (
    Resource,
    concept_text,
    effective_time,
    format_quantity,
    reference_to,
)
from cds.registry import CdsCall, ServiceDefinition
from cds.services.card_parts import source

ACKNOWLEDGED = "http://wintehr.dev/fhir/StructureDefinition/acknowledged"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CRITICAL_CODES = {"HH": "critically high", "LL": "critically low", "AA": "critical abnormal"}
REPORTABLE = ("final", "amended", "corrected", "preliminary")
SOURCE = source("WintEHR critical results", "critical-results", "Critical results")

PREFETCH = {
    "labResults": "Observation?patient={{context.patientId}}&category=laboratory"
    "&_sort=-date&_count=100",
}


def run(call: CdsCall) -> list[Card]:
    return [
        _card(call, observation, flag)
        for observation in call.data.resources("labResults", "Observation")
        if observation.get("status") in REPORTABLE
        and not is_acknowledged(observation)
        and (flag := critical_flag(observation))
    ]


def critical_flag(observation: Resource) -> str | None:
    """The critical interpretation of a result ("critically high", ...), or None."""
    for concept in observation.get("interpretation") or []:
        for coding in concept.get("coding") or []:
            if (
                coding.get("system") in (INTERPRETATION, None)
                and coding.get("code") in CRITICAL_CODES
            ):
                return CRITICAL_CODES[coding["code"]]
        if "critical" in str(concept.get("text", "")).lower():
            return "critical"
    return None


def is_acknowledged(observation: Resource) -> bool:
    return any(e.get("url") == ACKNOWLEDGED for e in observation.get("extension") or [])


def acknowledgement(at: str, by: str | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "at", "valueDateTime": at}]
    if by:
        parts.append({"url": "by", "valueReference": {"reference": by}})
    return {"url": ACKNOWLEDGED, "extension": parts}


def _card(call: CdsCall, observation: Resource, flag: str) -> Card:
    name = concept_text(observation.get("code"), default="result")
    value = format_quantity(observation.get("valueQuantity"))
    when = effective_time(observation)
    taken = when.date().isoformat() if when else "an unknown date"
    user = call.request.context.get("userId", "")
    by = user if user.startswith("Practitioner/") else None
    acknowledged = {
        **observation,
        "extension": [
            *(observation.get("extension") or []),
            acknowledgement(call.now.isoformat(timespec="seconds"), by),
        ],
    }
    action = Action(
        type="update",
        description=f"Record that {name} ({value}) was acknowledged",
        resource=acknowledged,
    )
    return Card(
        summary=f"Critical result not acknowledged: {name} {value} ({flag})",
        indicator="critical",
        source=SOURCE,
        detail=f"**{name}**: {value}, {flag}, resulted on {taken} "
        f"(`{reference_to(observation)}`), has not been acknowledged.",
        suggestions=(Suggestion("Acknowledge result", (action,), is_recommended=True),),
        selection_behavior="at-most-one",
    )


SERVICE = ServiceDefinition(
    id="critical-results",
    hooks=("patient-view",),
    title="Unacknowledged critical results",
    description="Lab results flagged critically high/low (HH, LL, AA) that have not been "
    "acknowledged (extension " + ACKNOWLEDGED + ").",
    run=run,
    prefetch=PREFETCH,
)
