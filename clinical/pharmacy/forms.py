from datetime import datetime

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from clinical.medications.forms import STOP_REASONS
from clinical.pharmacy.administrations import NOT_GIVEN_REASONS
from clinical.pharmacy.selectors import ALL
from clinical.pharmacy.states import STATE_ORDER, PharmacyState

FHIR_ID = RegexValidator(r"^[A-Za-z0-9\-.]{1,64}$", "Not a valid id.")
REFERENCE = RegexValidator(r"^Practitioner/[A-Za-z0-9\-.]{1,64}$", "Not a valid prescriber.")


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(s.value, s.label) for s in STATE_ORDER] + [(ALL, "All")],
        required=False,
    )
    ward = forms.CharField(required=False, validators=[FHIR_ID])
    prescriber = forms.CharField(required=False, validators=[REFERENCE])

    def clean_state(self) -> str:
        return self.cleaned_data["state"] or PharmacyState.PENDING.value


class VersionedForm(forms.Form):
    """Every action names the version of the order the user saw (If-Match)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class VerifyForm(VersionedForm):
    comment = forms.CharField(
        label="Comment (optional)", required=False, max_length=500, widget=forms.TextInput
    )


class ReturnForm(VersionedForm):
    reason = forms.CharField(
        label="What should the prescriber clarify?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(VersionedForm):
    reason = forms.ChoiceField(label="Reason", choices=STOP_REASONS)
    comment = forms.CharField(
        label="Comment", required=False, max_length=500, widget=forms.TextInput
    )

    def reason_display(self) -> str:
        return dict(STOP_REASONS)[self.cleaned_data["reason"]]


class DispenseForm(VersionedForm):
    quantity = forms.DecimalField(
        label="Quantity", min_value=0.001, max_digits=10, decimal_places=3
    )
    unit = forms.CharField(label="Unit", max_length=40)
    lot = forms.CharField(label="Lot number", max_length=40)
    expiry = forms.DateField(label="Expiry date", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_expiry(self):
        expiry = self.cleaned_data["expiry"]
        if expiry < timezone.localdate():
            raise forms.ValidationError("This lot has expired: do not dispense it.")
        return expiry

    def clean_lot(self) -> str:
        return self.cleaned_data["lot"].strip()


class ResubmitForm(VersionedForm):
    comment = forms.CharField(
        label="Your clarification", required=False, max_length=500, widget=forms.TextInput
    )


class AdministrationForm(forms.Form):
    order = forms.CharField(validators=[FHIR_ID])
    slot = forms.CharField(required=False, max_length=40)
    outcome = forms.ChoiceField(choices=[("given", "Given"), ("not-given", "Not given")])
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "Choose a reason")] + [(r.key, r.display) for r in NOT_GIVEN_REASONS],
    )
    comment = forms.CharField(required=False, max_length=500)

    def clean_slot(self) -> datetime | None:
        text = self.cleaned_data["slot"].strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise forms.ValidationError("Not a valid time.") from exc
        if moment.tzinfo is None:
            raise forms.ValidationError("Not a valid time.")
        return moment
