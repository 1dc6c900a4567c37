"""The rule editing form: the card as fields (the conditions are rows of
cds.rules.condition_forms, the suggestion is built in cds.rules.suggestion_forms); every error from
the rule checks is shown on the field it concerns."""

from typing import Any

from django import forms

from cds.cards import INDICATORS, LINK_TYPES, SUMMARY_MAX
from cds.models.rules import HOOK_CHOICES, RuleVersion
from cds.rules.card_template import check_card_template
from cds.rules.conditions import RuleDefinitionError
from cds.rules.services import RuleContent

LINK_URL_ERROR = "links[0].url"  # how cds.cards names the link's URL in its errors
LINK_URL_HELP = "An absolute http(s) URL, like https://example.org/guideline."


class RuleForm(forms.Form):
    slug = forms.SlugField(max_length=80, help_text="The service id will be rule-<slug>")
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    hook = forms.ChoiceField(choices=HOOK_CHOICES)
    indicator = forms.ChoiceField(choices=[(i, i) for i in INDICATORS])
    summary = forms.CharField(max_length=SUMMARY_MAX)
    detail = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    link_label = forms.CharField(max_length=200, required=False)
    link_url = forms.CharField(max_length=500, required=False)
    link_type = forms.ChoiceField(choices=[(t, t) for t in LINK_TYPES], initial="absolute")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            check_card_template(self.card_template())
        except RuleDefinitionError as exc:
            for error in exc.errors:
                if error.startswith(LINK_URL_ERROR):
                    self.add_error("link_url", LINK_URL_HELP)
                else:
                    self.add_error(None, error)
        return cleaned

    def card_template(self, suggestion: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        card: dict[str, Any] = {"indicator": data["indicator"], "summary": data["summary"]}
        if data.get("detail"):
            card["detail"] = data["detail"]
        if suggestion:
            card["suggestion"] = suggestion
        if data.get("link_url"):
            card["link"] = {
                "label": data.get("link_label") or data["link_url"],
                "url": data["link_url"],
                "type": data["link_type"],
            }
        return card

    def content(
        self, *, conditions: list[dict[str, Any]], suggestion: dict[str, Any] | None
    ) -> RuleContent:
        data = self.cleaned_data
        return RuleContent(
            title=data["title"],
            description=data["description"],
            hook=data["hook"],
            conditions=conditions,
            card=self.card_template(suggestion),
        )


def initial_from_version(version: RuleVersion) -> dict[str, Any]:
    card = version.card
    link = card.get("link") or {}
    return {
        "title": version.title,
        "description": version.description,
        "hook": version.hook,
        "indicator": card.get("indicator"),
        "summary": card.get("summary"),
        "detail": card.get("detail", ""),
        "link_label": link.get("label", ""),
        "link_url": link.get("url", ""),
        "link_type": link.get("type", "absolute"),
    }


class TryForm(forms.Form):
    patient = forms.RegexField(
        regex=r"^[A-Za-z0-9\-.]{1,64}$",
        label="Patient MRN or id",
        help_text="The patient's medical record number (or their FHIR id)",
        error_messages={"invalid": "Letters, digits, '-' and '.' only."},
    )
