from django import forms


class FinderForm(forms.Form):
    q = forms.CharField(
        label="Find a patient",
        required=False,
        max_length=200,
        help_text="Name, MRN or other identifier, birth date (1970-02-01 or 01/02/1970); "
        "combine them: “garcia 1970-02-01”.",
    )


class WardForm(forms.Form):
    location = forms.ChoiceField(label="Ward", required=False)

    def __init__(self, *args, wards=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "Choose a ward")] + [
            (ward.location_id, ward.name) for ward in wards
        ]
