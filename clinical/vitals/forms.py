from datetime import timedelta

from django import forms
from django.utils import timezone

from clinical.vitals.definitions import (
    DIASTOLIC,
    HEART_RATE,
    HEIGHT,
    RESPIRATORY_RATE,
    SPO2,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
    VitalKind,
)

ENTERED_KINDS = (
    SYSTOLIC,
    DIASTOLIC,
    HEART_RATE,
    RESPIRATORY_RATE,
    TEMPERATURE,
    SPO2,
    WEIGHT,
    HEIGHT,
)


def _field(kind: VitalKind) -> forms.FloatField:
    low, high = kind.plausible
    return forms.FloatField(
        label=f"{kind.label} ({kind.unit_label})",
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={
            "min_value": f"{kind.label} below {low:g} {kind.unit_label} is not plausible: check.",
            "max_value": f"{kind.label} above {high:g} {kind.unit_label} is not plausible: check.",
        },
    )


class VitalsForm(forms.Form):
    taken_at = forms.DateTimeField(
        label="Taken at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in ENTERED_KINDS:
            self.fields[kind.key] = _field(kind)

    def clean(self) -> dict:
        data = super().clean()
        values = {k.key: data.get(k.key) for k in ENTERED_KINDS if data.get(k.key) is not None}
        if not values and not self.errors:
            raise forms.ValidationError("Enter at least one measurement.")
        systolic, diastolic = data.get(SYSTOLIC.key), data.get(DIASTOLIC.key)
        if (
            (systolic is None) != (diastolic is None)
            and not self.has_error(SYSTOLIC.key)
            and not self.has_error(DIASTOLIC.key)
        ):
            missing = DIASTOLIC.key if diastolic is None else SYSTOLIC.key
            self.add_error(missing, "Blood pressure needs both systolic and diastolic.")
        elif systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error(DIASTOLIC.key, "Diastolic must be lower than systolic.")
        taken_at = data.get("taken_at")
        if taken_at and taken_at > timezone.now() + timedelta(minutes=5):
            self.add_error("taken_at", "Vital signs cannot be taken in the future.")
        data["values"] = values
        return data

    def measurement_fields(self) -> list[forms.BoundField]:
        return [self[kind.key] for kind in ENTERED_KINDS]
