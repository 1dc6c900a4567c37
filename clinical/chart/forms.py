from django import forms

from clinical.chart.timeline import EVENT_TYPES


class TimelineForm(forms.Form):
    types = forms.MultipleChoiceField(
        label="Show",
        required=False,
        choices=[(t.key, t.label) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    before = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data
