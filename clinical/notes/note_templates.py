"""Note templates: what a new note starts as."""

from dataclasses import dataclass

SOAP_SECTIONS = ("Subjective", "Objective", "Assessment", "Plan")
# LOINC document types the workspace writes.
NOTE_TYPES = {
    "11506-3": "Progress note",
    "34117-2": "History and physical note",
    "11488-4": "Consult note",
    "18842-5": "Discharge summary",
    "28570-0": "Procedure note",
}


@dataclass(frozen=True)
class NoteTemplate:
    key: str
    label: str
    type_code: str
    soap: bool
    text: str = ""


TEMPLATES = {
    t.key: t
    for t in (
        NoteTemplate("soap", "SOAP progress note", "11506-3", soap=True),
        NoteTemplate("free", "Free-text progress note", "11506-3", soap=False),
        NoteTemplate(
            "hp",
            "History and physical",
            "34117-2",
            soap=False,
            text="Chief complaint:\n\nHistory of present illness:\n\nPast medical history:\n\n"
            "Medications:\n\nAllergies:\n\nExamination:\n\nAssessment and plan:\n",
        ),
        NoteTemplate(
            "discharge",
            "Discharge summary",
            "18842-5",
            soap=False,
            text="Diagnoses:\n\nHospital course:\n\nMedications on discharge:\n\nFollow-up:\n",
        ),
        NoteTemplate("consult", "Consult note", "11488-4", soap=True),
    )
}


def soap_text(sections: dict[str, str]) -> str:
    return "\n\n".join(
        f"{name}:\n{sections.get(name.lower(), '').strip()}" for name in SOAP_SECTIONS
    ).strip()


def soap_sections(text: str) -> dict[str, str] | None:
    """The sections of a text written by soap_text; None when it is not such a text."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        heading = line.strip().rstrip(":")
        if line.strip().endswith(":") and heading in SOAP_SECTIONS:
            current = heading.lower()
            sections[current] = []
        elif current is None:
            if line.strip():
                return None
        else:
            sections[current].append(line)
    if set(sections) != {s.lower() for s in SOAP_SECTIONS}:
        return None
    return {k: "\n".join(v).strip() for k, v in sections.items()}
