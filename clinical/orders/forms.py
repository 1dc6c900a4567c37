from decimal import Decimal

from django import forms

from clinical.catalog.catalog import choices
from clinical.catalog.fields import CatalogField

DOSE_UNITS = [
    ("tablet", "tablet(s)"),
    ("capsule", "capsule(s)"),
    ("mg", "mg"),
    ("mL", "mL"),
    ("puff", "puff(s)"),
    ("spray", "spray(s)"),
    ("unit", "unit(s)"),
    ("drop", "drop(s)"),
]
# The most of each unit one dose can plausibly be; more is a typing error.
DOSE_MAXIMUM = {
    "tablet": 10,
    "capsule": 10,
    "mg": 5000,
    "mL": 500,
    "puff": 12,
    "spray": 6,
    "unit": 300,
    "drop": 20,
}
USUAL = [("", "Usual for this drug")]
PRIORITIES = [
    ("routine", "Routine"),
    ("urgent", "Urgent"),
    ("asap", "As soon as possible"),
    ("stat", "Stat"),
]


class MedicationOrderForm(forms.Form):
    drug = CatalogField(kind="medications", label="Medication")
    dose = forms.DecimalField(
        label="Dose",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=3,
        help_text="Empty fields take the drug's usual dose, route and frequency.",
    )
    dose_unit = forms.ChoiceField(label="Dose unit", choices=USUAL + DOSE_UNITS, required=False)
    route = forms.ChoiceField(label="Route", required=False)
    frequency = forms.ChoiceField(label="Frequency", required=False)
    duration_days = forms.IntegerField(
        label="Duration (days)",
        required=False,
        min_value=1,
        max_value=365,
        help_text="Leave empty for an ongoing medication.",
    )
    note = forms.CharField(label="Instructions for the patient", required=False, max_length=500)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = USUAL + [(r["key"], r["display"]) for r in choices("routes")]
        self.fields["frequency"].choices = USUAL + [
            (f["key"], f["display"]) for f in choices("frequencies")
        ]

    def clean(self) -> dict:
        data = super().clean()
        drug = data.get("drug")
        usual = drug.extra if drug is not None else {}
        for name, key in (
            ("dose", "dose"),
            ("dose_unit", "form"),
            ("route", "route"),
            ("frequency", "frequency"),
        ):
            if data.get(name) in (None, "") and name not in self.errors:
                if usual.get(key) is not None:
                    data[name] = Decimal(str(usual[key])) if name == "dose" else usual[key]
                elif drug is not None:
                    self.add_error(name, "This drug has no usual value: choose one.")
        dose, unit = data.get("dose"), data.get("dose_unit")
        if dose is not None and dose <= 0:
            self.add_error("dose", "The dose must be more than zero.")
        elif dose is not None and unit and dose > DOSE_MAXIMUM[unit]:
            self.add_error(
                "dose", f"More than {DOSE_MAXIMUM[unit]} {unit} in one dose is not plausible."
            )
        return data


class ServiceOrderForm(forms.Form):
    priority = forms.ChoiceField(label="Priority", choices=PRIORITIES, initial="routine")
    reason = forms.CharField(label="Reason / clinical question", required=False, max_length=500)

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, prefix=kind, **kwargs)
        self.kind = kind
        label = "Lab test" if kind == "lab-tests" else "Imaging study"
        self.fields = {"code": CatalogField(kind=kind, label=label), **self.fields}
        if kind == "imaging":
            self.fields["reason"].required = True
            self.fields["reason"].help_text = "Imaging orders need a clinical question."
