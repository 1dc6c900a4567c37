"""The text of the demo population's clinical notes (DocumentReference attachments)."""

from dataclasses import dataclass

from fhirapi.demo.catalogue import Code
from fhirapi.demo.visits import Visit

REASONS = {
    "checkup": "Annual health examination.",
    "followup": "Follow-up of {topic}.",
    "symptom": "Presents with symptoms of {topic}.",
    "emergency": "Seen in the emergency department for {topic}.",
    "inpatient": "Admitted for {topic}.",
}
PLANS = {
    "checkup": "Preventive care reviewed; laboratory tests ordered; continue current treatment.",
    "followup": "Stable on current treatment; review the results and follow up in 3 to 6 months.",
    "symptom": "Supportive care; return if symptoms worsen or last beyond 10 days.",
    "emergency": "Treated and discharged home with advice; see the family doctor within a week.",
    "discharged": "Discharged home in stable condition; follow-up with the family doctor.",
    "admitted": "Continue inpatient treatment; daily review of vital signs and laboratory results.",
}


@dataclass(frozen=True)
class PatientFacts:
    name: str
    gender: str
    birth_date: str
    problems: list[Code]


def note_text(
    kind: Code, visit: Visit, facts: PatientFacts, doctor: dict[str, str], prescribed: list[Code]
) -> str:
    topic = (
        visit.chronic.condition if visit.chronic else visit.acute.condition if visit.acute else None
    )
    topic = visit.admission[0] if visit.admission else topic
    plan_key = visit.kind
    if visit.kind == "inpatient":
        plan_key = "discharged" if visit.end else "admitted"
    problems = "; ".join(code.display for code in facts.problems) or "none"
    medications = "; ".join(code.display for code in prescribed) or "no new prescriptions"
    reason = REASONS[visit.kind].format(topic=topic.display if topic else "the problem")
    return (
        f"{kind.display}\nDate: {visit.start.date().isoformat()}\n"
        f"Patient: {facts.name}, {facts.gender}, born {facts.birth_date}\n\n"
        f"Reason for visit: {reason}\nActive problems: {problems}\n"
        f"Medications ordered: {medications}\n\nAssessment and plan: {PLANS[plan_key]}\n\n"
        f"Signed: {doctor.get('display', 'attending physician')}\n"
    )
