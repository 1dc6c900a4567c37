from django import forms

from clinical.chart_access.services import MINIMUM_REASON_LENGTH


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this chart now?",
        min_length=MINIMUM_REASON_LENGTH,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with your name and shown to the administrators.",
    )
