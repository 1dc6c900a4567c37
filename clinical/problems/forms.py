from django import forms
from django.utils import timezone

from clinical.catalog.fields import CatalogField

CLINICAL_STATUSES = [
    ("active", "Active"),
    ("recurrence", "Recurrence"),
    ("relapse", "Relapse"),
    ("inactive", "Inactive"),
    ("remission", "Remission"),
    ("resolved", "Resolved"),
]
VERIFICATIONS = [
    ("confirmed", "Confirmed"),
    ("provisional", "Provisional"),
    ("differential", "Differential"),
    ("unconfirmed", "Unconfirmed"),
]


def _not_future(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError("This date is in the future.")
    return value


class ProblemForm(forms.Form):
    code = CatalogField(kind="problems", label="Problem")
    onset = forms.DateField(
        label="Onset", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    clinical_status = forms.ChoiceField(
        label="Clinical status", choices=CLINICAL_STATUSES, initial="active"
    )
    verification = forms.ChoiceField(
        label="Verification", choices=VERIFICATIONS, initial="confirmed"
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].required = False
            self.fields["code"].help_text = "Leave unchosen to keep the current problem."

    def clean_onset(self):
        return _not_future(self.cleaned_data.get("onset"))


class ResolveForm(forms.Form):
    resolved_on = forms.DateField(
        label="Resolved on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_resolved_on(self):
        return _not_future(self.cleaned_data.get("resolved_on")) or timezone.localdate()
