from django import forms

from clinical.medications.reconciliation import CONTINUE, MODIFY, STOP, Decision
from clinical.medications.selectors import ReconcileItem

# http://terminology.hl7.org/CodeSystem/medicationrequest-status-reason
STOP_REASONS = [
    ("", "Choose a reason"),
    ("altchoice", "Try another treatment first"),
    ("clarif", "Prescription requires clarification"),
    ("drughigh", "Drug level too high"),
    ("hospadm", "Admission to hospital"),
    ("labint", "Lab interference issues"),
    ("non-avail", "Patient not available"),
    ("preg", "Parent is pregnant/breast feeding"),
    ("salg", "Allergy"),
    ("sddi", "Drug interacts with another drug"),
    ("sdupther", "Duplicate therapy"),
    ("sintol", "Suspected intolerance"),
    ("surg", "Patient scheduled for surgery"),
    ("washout", "Waiting for old drug to wash out"),
]


class StopForm(forms.Form):
    reason = forms.ChoiceField(label="Reason for stopping", choices=STOP_REASONS)
    comment = forms.CharField(
        label="Comment", required=False, max_length=500, widget=forms.TextInput()
    )

    def reason_display(self) -> str:
        return dict(STOP_REASONS)[self.cleaned_data["reason"]]


DECISIONS = [(CONTINUE, "Continue"), (STOP, "Stop"), (MODIFY, "Modify")]


class ReconcileForm(forms.Form):
    """One decision per active medication (fields `<key>-decision`, `<key>-reason`,
    `<key>-comment`): stopping needs a reason, modifying says what changes."""

    def __init__(self, *args, items: list[ReconcileItem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"{item.key}-decision"] = forms.ChoiceField(
                label=f"Decision for {item.name}", choices=DECISIONS, widget=forms.RadioSelect
            )
            self.fields[f"{item.key}-reason"] = forms.ChoiceField(
                label="Reason for stopping", choices=STOP_REASONS, required=False
            )
            self.fields[f"{item.key}-comment"] = forms.CharField(
                label="Comment", required=False, max_length=500
            )

    def rows(self) -> list[tuple]:
        return [
            (
                item,
                self[f"{item.key}-decision"],
                self[f"{item.key}-reason"],
                self[f"{item.key}-comment"],
            )
            for item in self.items
        ]

    def clean(self) -> dict:
        data = super().clean()
        for item in self.items:
            decision = data.get(f"{item.key}-decision")
            if decision == STOP and not data.get(f"{item.key}-reason"):
                self.add_error(f"{item.key}-reason", "Give a reason for stopping.")
            if decision == MODIFY and not data.get(f"{item.key}-comment", "").strip():
                self.add_error(f"{item.key}-comment", "Say what changes.")
        return data

    def decisions(self) -> list[Decision]:
        data = self.cleaned_data
        return [
            Decision(
                item=item,
                decision=data[f"{item.key}-decision"],
                reason_code=data[f"{item.key}-reason"],
                reason_display=dict(STOP_REASONS)[data[f"{item.key}-reason"]],
                comment=data[f"{item.key}-comment"].strip(),
            )
            for item in self.items
        ]
