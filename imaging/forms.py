from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


class UploadForm(forms.Form):
    files = MultipleFileField(
        help_text="DICOM files, or zip archives of them (a zipped DICOMDIR folder too)."
    )


class AssignPatientForm(forms.Form):
    patient_id = forms.RegexField(
        regex=r"^[A-Za-z0-9\-.]{1,64}$",
        label="Patient id",
        help_text="The FHIR id of the patient these images belong to (Patient/<id>).",
    )


class PacsSearchForm(forms.Form):
    pacs = forms.ChoiceField(label="PACS")
    PatientID = forms.CharField(label="Patient ID", required=False)
    PatientName = forms.CharField(label="Patient name", required=False)
    StudyDate = forms.RegexField(
        regex=r"^\d{8}(-\d{8})?$|^\d{8}-$|^-\d{8}$",
        label="Study date",
        required=False,
        help_text="YYYYMMDD, or a range YYYYMMDD-YYYYMMDD",
    )
    AccessionNumber = forms.CharField(label="Accession number", required=False)
    ModalitiesInStudy = forms.CharField(label="Modality", required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pacs"].choices = choices

    def filters(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if k != "pacs" and v}
