from django import forms

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
