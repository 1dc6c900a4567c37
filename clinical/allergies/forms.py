from django import forms
from django.utils import timezone

from clinical.catalog.fields import CatalogField
from clinical.fhir.codes import SNOMED

CATEGORIES = [
    ("medication", "Medication"),
    ("food", "Food"),
    ("environment", "Environment"),
    ("biologic", "Biologic"),
]
CRITICALITIES = [("low", "Low"), ("high", "High"), ("unable-to-assess", "Unable to assess")]
CLINICAL_STATUSES = [("active", "Active"), ("inactive", "Inactive"), ("resolved", "Resolved")]
VERIFICATIONS = [("confirmed", "Confirmed"), ("unconfirmed", "Unconfirmed")]
SEVERITIES = [("", "Not stated"), ("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")]
# SNOMED CT clinical findings offered as reaction manifestations.
MANIFESTATIONS = [
    ("", "Not stated"),
    ("247472004", "Hives"),
    ("271807003", "Rash"),
    ("418290006", "Itching"),
    ("41291007", "Angioedema"),
    ("39579001", "Anaphylaxis"),
    ("56018004", "Wheezing"),
    ("422587007", "Nausea"),
    ("422400008", "Vomiting"),
    ("62315008", "Diarrhea"),
]
MANIFESTATION_SYSTEM = SNOMED


class AllergyForm(forms.Form):
    code = CatalogField(kind="allergens", label="Substance")
    category = forms.ChoiceField(label="Category", choices=CATEGORIES)
    criticality = forms.ChoiceField(label="Criticality", choices=CRITICALITIES, initial="low")
    clinical_status = forms.ChoiceField(
        label="Clinical status", choices=CLINICAL_STATUSES, initial="active"
    )
    verification = forms.ChoiceField(
        label="Verification", choices=VERIFICATIONS, initial="confirmed"
    )
    manifestation = forms.ChoiceField(label="Reaction", choices=MANIFESTATIONS, required=False)
    severity = forms.ChoiceField(label="Reaction severity", choices=SEVERITIES, required=False)
    onset = forms.DateField(
        label="First reaction", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].required = False
            self.fields["code"].help_text = "Leave unchosen to keep the current substance."

    def clean_onset(self):
        onset = self.cleaned_data.get("onset")
        if onset and onset > timezone.localdate():
            raise forms.ValidationError("This date is in the future.")
        return onset

    def clean(self) -> dict:
        data = super().clean()
        if data.get("severity") and not data.get("manifestation"):
            self.add_error("manifestation", "Say what the reaction was, to give its severity.")
        return data

    def manifestation_display(self) -> str:
        return dict(MANIFESTATIONS).get(self.cleaned_data.get("manifestation", ""), "")


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(label="Why is this entry wrong?", max_length=500, min_length=3)
