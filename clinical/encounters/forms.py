from django import forms

from clinical.catalog.fields import CatalogField

CLASSES = [
    ("AMB", "Ambulatory (clinic visit)"),
    ("IMP", "Inpatient admission"),
    ("EMER", "Emergency"),
    ("OBSENC", "Observation"),
    ("VR", "Virtual"),
]
CLASS_DISPLAY = dict(CLASSES)
# SNOMED CT encounter types.
TYPES = [
    ("185349003", "Encounter for check up"),
    ("390906007", "Follow-up encounter"),
    ("185345009", "Encounter for symptom"),
    ("32485007", "Hospital admission"),
    ("50849002", "Emergency room admission"),
]
# http://terminology.hl7.org/CodeSystem/discharge-disposition
DISPOSITIONS = [
    ("home", "Home"),
    ("alt-home", "Alternative home"),
    ("other-hcf", "Other healthcare facility"),
    ("hosp", "Hospice"),
    ("long", "Long-term care"),
    ("aadvice", "Left against advice"),
    ("exp", "Expired"),
    ("oth", "Other"),
]


class EncounterStartForm(forms.Form):
    encounter_class = forms.ChoiceField(label="Kind of encounter", choices=CLASSES)
    encounter_type = forms.ChoiceField(label="Type", choices=TYPES)
    location = forms.ChoiceField(label="Location", required=False)
    reason = CatalogField(kind="problems", label="Reason", required=False)

    def __init__(self, *args, locations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "No location"), *locations]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("encounter_class") == "IMP" and not data.get("location"):
            self.add_error("location", "An admission needs a ward or bed.")
        return data


class DischargeForm(forms.Form):
    disposition = forms.ChoiceField(label="Discharged to", choices=DISPOSITIONS)
