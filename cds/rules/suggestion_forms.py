"""The suggestion builder: the card's one suggestion as a kind (none, a test or procedure to
order, a medication to propose) and that kind's fields, and the mapping between them and the
suggestion JSON cds.rules.card_template renders. Accepting it on the chart creates the draft
order for the patient, which a clinician then signs or discards.

A suggestion the builder cannot show exactly (hand-made JSON from before the builder) is kept as
stored until the author chooses a kind to replace it."""

import json
import re
from typing import Any

from django import forms
from django.http import QueryDict

from cds.fhir_values import LOINC, RXNORM, SNOMED
from cds.medications.drugs import ingredients_of

PREFIX = "suggestion"
KEEP = "keep"
SERVICE = "service-request"
MEDICATION = "medication-request"
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("No suggestion", ()),
    SERVICE: ("Order a test or procedure", ("label", "category", "system", "code", "display")),
    MEDICATION: ("Propose a medication", ("label", "drug_code", "drug_display", "dosage")),
}
REQUIRED = {"category", "system", "code", "display", "drug_code", "drug_display", "dosage"}
# ServiceRequest categories (SNOMED CT, from FHIR's servicerequest-category value set)
CATEGORIES = {
    "laboratory": ("Laboratory", "108252007", "Laboratory procedure"),
    "imaging": ("Imaging", "363679005", "Imaging"),
    "procedure": ("Procedure", "387713003", "Surgical procedure"),
    "referral": ("Referral", "3457005", "Patient referral"),
}
CATEGORY_OF_CODE = {code: key for key, (_, code, _) in CATEGORIES.items()}
CODE_PATTERNS = {
    LOINC: (re.compile(r"^[0-9]{1,7}-[0-9]$"), "A LOINC code looks like 4548-4."),
    SNOMED: (re.compile(r"^[0-9]{6,18}$"), "A SNOMED CT code is 6 to 18 digits."),
}
SUBJECT = {"reference": "Patient/{{context.patientId}}"}


def _choices(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "Choose…"), *pairs]


class SuggestionForm(forms.Form):
    kind = forms.ChoiceField(required=False, label="Suggestion")
    label = forms.CharField(
        required=False,
        max_length=120,
        label="Button label",
        help_text="Left blank: “Order” or “Prescribe” and the name below",
    )
    category = forms.ChoiceField(
        required=False, choices=_choices([(k, v[0]) for k, v in CATEGORIES.items()])
    )
    system = forms.ChoiceField(
        required=False,
        choices=_choices([(LOINC, "LOINC"), (SNOMED, "SNOMED CT")]),
        label="Code system",
    )
    code = forms.CharField(required=False, max_length=20)
    display = forms.CharField(required=False, max_length=200, label="Name")
    drug_code = forms.RegexField(
        regex=r"^[0-9]{1,10}$",
        required=False,
        label="RxNorm code",
        error_messages={"invalid": "An RxNorm code is digits only, like 860975."},
    )
    drug_display = forms.CharField(required=False, max_length=200, label="Medication name")
    dosage = forms.CharField(
        required=False,
        max_length=200,
        help_text="As written on the order, e.g. 500 mg by mouth twice daily",
    )

    def __init__(self, *args: Any, kept: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, prefix=PREFIX, **kwargs)
        self.kept = kept
        kinds = [(kind, label) for kind, (label, _) in KINDS.items()]
        if kept is not None:
            kinds.insert(0, (KEEP, "Keep the suggestion as stored"))
        self.fields["kind"].choices = kinds

    @property
    def kept_json(self) -> str:
        return json.dumps(self.kept, indent=2)

    def kind_fields(self) -> list[forms.BoundField]:
        _, names = KINDS.get(self["kind"].value() or "", ("", ()))
        return [self[name] for name in names]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind is None or kind == KEEP or self.errors:
            return data
        for name in REQUIRED.intersection(KINDS[kind][1]):
            if not data.get(name):
                self.add_error(name, "Required for this kind of suggestion.")
        if kind == SERVICE and data.get("code") and data.get("system"):
            pattern, message = CODE_PATTERNS[data["system"]]
            if not pattern.match(data["code"]):
                self.add_error("code", message)
        if kind == MEDICATION and data.get("drug_code") and not _known_drug(data["drug_code"]):
            self.add_error(
                "drug_code",
                f"RxNorm code {data['drug_code']} is not in the ingredient or product tables.",
            )
        if kind and not data["label"]:
            verb, name = ("Order", "display") if kind == SERVICE else ("Prescribe", "drug_display")
            data["label"] = f"{verb} {data.get(name, '')}"
        return data

    def suggestion(self) -> dict[str, Any] | None:
        """The card template's suggestion JSON (None: no suggestion); the form must be clean."""
        data = self.cleaned_data
        if data["kind"] == KEEP:
            return self.kept
        return suggestion_of(data) if data["kind"] else None


def suggestion_of(data: dict[str, Any]) -> dict[str, Any]:
    """The suggestion of a builder kind's values: one action creating the draft order."""
    resource = _service_request(data) if data["kind"] == SERVICE else _medication_request(data)
    action = {"type": "create", "description": data["label"], "resource": resource}
    return {"label": data["label"], "actions": [action]}


def _service_request(data: dict[str, Any]) -> dict[str, Any]:
    _, code, display = CATEGORIES[data["category"]]
    category = {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display}
    concept = {"system": data["system"], "code": data["code"], "display": data["display"]}
    return {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "category": [category],
        "code": {"coding": [concept], "text": data["display"]},
        "subject": SUBJECT,
    }


def _known_drug(code: str) -> bool:
    """In the ingredient or product tables (by the code alone, not the name given with it)."""
    return bool(ingredients_of({"coding": [{"system": RXNORM, "code": code}]}))


def _drug(data: dict[str, Any]) -> dict[str, Any]:
    coding = {"system": RXNORM, "code": data["drug_code"], "display": data["drug_display"]}
    return {"coding": [coding], "text": data["drug_display"]}


def _medication_request(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": _drug(data),
        "subject": SUBJECT,
        "dosageInstruction": [{"text": data["dosage"]}],
    }


def suggestion_initial(stored: Any) -> dict[str, Any] | None:
    """The builder's values showing a stored suggestion; None when the builder cannot show it
    exactly (its values would not give back the same JSON)."""
    if not stored:
        return {"kind": ""}
    try:
        initial = _initial_of(stored)
        return initial if suggestion_of(initial) == stored else None
    except (LookupError, TypeError, AttributeError, ValueError):  # not a shape it makes
        return None


def _initial_of(stored: dict[str, Any]) -> dict[str, Any]:
    (action,) = stored["actions"]
    resource, label = action["resource"], stored["label"]
    if resource["resourceType"] == "ServiceRequest":
        (coding,) = resource["code"]["coding"]
        (category,) = resource["category"]
        return {
            "kind": SERVICE,
            "label": label,
            "category": CATEGORY_OF_CODE[category["coding"][0]["code"]],
            "system": coding["system"],
            "code": coding["code"],
            "display": coding["display"],
        }
    (coding,) = resource["medicationCodeableConcept"]["coding"]
    (dosage,) = resource["dosageInstruction"]
    return {
        "kind": MEDICATION,
        "label": label,
        "drug_code": coding["code"],
        "drug_display": coding["display"],
        "dosage": dosage["text"],
    }


def suggestion_form(data: QueryDict | None, *, stored: Any = None) -> SuggestionForm:
    """The builder for a post, or showing a stored suggestion; one it cannot show is kept."""
    initial = suggestion_initial(stored)
    kept = stored if initial is None else None
    return SuggestionForm(data, initial=initial or {"kind": KEEP}, kept=kept)


def suggestion_redrawn(params: QueryDict, *, stored: Any = None) -> SuggestionForm:
    """The builder redrawn for the kind chosen in the page, keeping the values given."""
    names = SuggestionForm.base_fields
    initial = {name: params.get(f"{PREFIX}-{name}") for name in names}
    kept = stored if suggestion_initial(stored) is None else None
    return SuggestionForm(initial=initial, kept=kept)
