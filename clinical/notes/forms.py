from django import forms

from clinical.notes.note_templates import NOTE_TYPES, TEMPLATES, soap_text

TEXT_MAX = 50_000


class NoteForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    type_code = forms.ChoiceField(label="Kind of note", choices=list(NOTE_TYPES.items()))
    soap = forms.BooleanField(required=False, widget=forms.HiddenInput)
    subjective = forms.CharField(
        label="Subjective",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    objective = forms.CharField(
        label="Objective",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assessment = forms.CharField(
        label="Assessment",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    plan = forms.CharField(
        label="Plan", required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    text = forms.CharField(
        label="Note", required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 12})
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    SOAP_FIELDS = ("subjective", "objective", "assessment", "plan")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("soap"):
            data["full_text"] = soap_text({k: data.get(k, "") for k in self.SOAP_FIELDS})
            empty = not any((data.get(k) or "").strip() for k in self.SOAP_FIELDS)
        else:
            data["full_text"] = (data.get("text") or "").strip()
            empty = not data["full_text"]
        if empty:
            raise forms.ValidationError("Write something in the note first.")
        return data

    def is_soap(self) -> bool:
        if self.is_bound:
            return bool(self.fields["soap"].to_python(self.data.get(self.add_prefix("soap"))))
        return bool(self.initial.get("soap"))

    def soap_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SOAP_FIELDS]


def form_from_template(key: str) -> NoteForm:
    template = TEMPLATES.get(key) or TEMPLATES["soap"]
    return NoteForm(
        initial={
            "title": template.label,
            "type_code": template.type_code,
            "soap": template.soap,
            "text": template.text,
        }
    )


class NoteFilterForm(forms.Form):
    author = forms.ChoiceField(label="Author", required=False)

    def __init__(self, *args, authors=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [("", "Everyone"), *authors]
