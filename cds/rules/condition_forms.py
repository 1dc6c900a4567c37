"""The condition builder: one form per condition row (a kind and that kind's fields), a formset
of rows, and the mapping between rows and the JSON conditions cds.rules.conditions reads.

Each kind is one condition type with one way of naming what it matches (codes, a value set, a
class), so a row only ever shows the fields its kind uses."""

import re
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.http import QueryDict

from cds.fhir_values import RXNORM, SNOMED
from cds.rules.conditions import LAB_OPERATORS, SEXES, parse_condition
from cds.rules.selectors import condition_vocabulary

PREFIX = "conditions"
MAX_ROWS = 20
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "age": ("Age in years", ("min_age", "max_age")),
    "sex": ("Sex", ("sex",)),
    "condition-code": ("Active condition with a code", ("system", "codes")),
    "condition-value-set": ("Active condition in a value set", ("value_set",)),
    "lab": ("Latest lab result", ("lab_code", "operator", "value", "max_age_days")),
    "medication-code": ("Active medication (RxNorm code)", ("codes",)),
    "medication-class": ("Active medication in a drug class", ("drug_class",)),
    "allergy-code": ("Allergy to a code", ("system", "codes")),
    "allergy-class": ("Allergy in a class", ("allergy_class",)),
}
REQUIRED = {"sex", "codes", "value_set", "lab_code", "operator", "drug_class", "allergy_class"}
CODE = re.compile(r"^[\w.:/|-]+$")  # a code, or system|code
SYSTEMS = [("", "Any system"), (SNOMED, "SNOMED CT"), (ICD10CM, "ICD-10-CM"), (RXNORM, "RxNorm")]
# a kind's condition type, the JSON key naming what it matches, and the row field giving it
MATCHES = {
    "condition-code": ("condition", "codes", "codes"),
    "condition-value-set": ("condition", "valueSet", "value_set"),
    "medication-code": ("medication", "codes", "codes"),
    "medication-class": ("medication", "class", "drug_class"),
    "allergy-code": ("allergy", "codes", "codes"),
    "allergy-class": ("allergy", "class", "allergy_class"),
}


def _choices(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "Choose…"), *pairs]


class ConditionRowForm(forms.Form):
    kind = forms.ChoiceField(choices=_choices([(k, label) for k, (label, _) in KINDS.items()]))
    negate = forms.BooleanField(required=False, label="Must not hold")
    min_age = forms.IntegerField(required=False, min_value=0, max_value=150, label="From age")
    max_age = forms.IntegerField(required=False, min_value=0, max_value=150, label="To age")
    sex = forms.ChoiceField(required=False, choices=_choices([(s, s) for s in SEXES]))
    system = forms.ChoiceField(required=False, choices=SYSTEMS, label="Code system")
    codes = forms.CharField(
        required=False, max_length=500, help_text="One or more codes, separated by commas"
    )
    value_set = forms.ChoiceField(required=False, label="Value set")
    lab_code = forms.RegexField(
        regex=r"^[0-9]{1,7}-[0-9]$",
        required=False,
        label="LOINC code",
        error_messages={"invalid": "A LOINC code looks like 4548-4."},
    )
    operator = forms.ChoiceField(
        required=False, choices=_choices([(o, o) for o in LAB_OPERATORS]), label="Comparator"
    )
    value = forms.FloatField(required=False, label="Threshold")
    max_age_days = forms.IntegerField(
        required=False, min_value=0, label="Result at most this many days old"
    )
    drug_class = forms.ChoiceField(required=False, label="Drug class")
    allergy_class = forms.ChoiceField(required=False, label="Allergy class")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vocabulary = condition_vocabulary()
        self.fields["value_set"].choices = _choices(vocabulary.value_sets)
        self.fields["drug_class"].choices = _choices(vocabulary.drug_classes)
        self.fields["allergy_class"].choices = _choices(vocabulary.allergy_classes)
        kind = self.data.get(self.add_prefix("kind"))
        if kind in KINDS:  # the page shows a row's kind's fields only: others posted are ignored
            for name in set(self.fields) - {"kind", "negate", *KINDS[kind][1]}:
                del self.fields[name]

    @property
    def index(self) -> str:
        return (self.prefix or "").rsplit("-", 1)[-1]

    def kind_fields(self) -> list[forms.BoundField]:
        """The fields of the row's kind, after the kind and negate fields."""
        _, names = KINDS.get(self["kind"].value() or "", ("", ()))
        return [self[name] for name in names]

    def clean_codes(self) -> str:
        codes = _split(self.cleaned_data["codes"])
        if not all(CODE.match(code) for code in codes):
            raise forms.ValidationError("A code has letters, digits and . - : / | only.")
        return ", ".join(codes)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind is None or self.errors:
            return data
        fields = KINDS[kind][1]
        for name in REQUIRED.intersection(fields):
            if data.get(name) in (None, ""):
                self.add_error(name, "Required for this kind of condition.")
        if kind == "lab" and data.get("operator") not in ("missing", "") and data["value"] is None:
            self.add_error("value", "Give the threshold to compare with.")
        if not self.errors:
            try:
                parse_condition(self.condition())
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return data

    def condition(self) -> dict[str, Any]:
        """The row as a JSON condition (cds.rules.conditions); the row must be clean."""
        data = self.cleaned_data
        item = _condition_of(data["kind"], data)
        return item | {"negate": True} if data["negate"] else item


def _condition_of(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    if kind == "age":
        bounds = {"min": data["min_age"], "max": data["max_age"]}
        return {"type": "age"} | {k: v for k, v in bounds.items() if v is not None}
    if kind == "sex":
        return {"type": "sex", "value": data["sex"]}
    if kind == "lab":
        item = {"type": "lab", "code": data["lab_code"], "operator": data["operator"]}
        if data["operator"] != "missing":
            value = data["value"]
            item["value"] = int(value) if value.is_integer() else value
        if data["max_age_days"] is not None:
            item["maxAgeDays"] = data["max_age_days"]
        return item
    kind_type, key, field = MATCHES[kind]
    if key == "codes":
        return {"type": kind_type, "codes": _codes(data["codes"], data.get("system", ""))}
    return {"type": kind_type, key: data[field]}


def _split(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,]+", text) if code]


def _codes(text: str, system: str) -> list[str]:
    return [c if "|" in c or not system else f"{system}|{c}" for c in _split(text)]


def row_initial(item: dict[str, Any]) -> dict[str, Any]:
    """The row showing a stored JSON condition (the inverse of ConditionRowForm.condition)."""
    kind_type, negate = item["type"], {"negate": item.get("negate", False)}
    if kind_type == "age":
        return negate | {"kind": "age", "min_age": item.get("min"), "max_age": item.get("max")}
    if kind_type == "sex":
        return negate | {"kind": "sex", "sex": item["value"]}
    if kind_type == "lab":
        return negate | {
            "kind": "lab",
            "lab_code": item["code"].split("|")[-1],
            "operator": item["operator"],
            "value": item.get("value"),
            "max_age_days": item.get("maxAgeDays"),
        }
    kind, (_, key, field) = next(
        (kind, (t, key, field))
        for kind, (t, key, field) in MATCHES.items()
        if t == kind_type and key in item
    )
    if key == "codes":
        return negate | {"kind": kind, **_codes_initial(item["codes"])}
    return negate | {"kind": kind, field: item[key]}


def _codes_initial(codes: list[str]) -> dict[str, str]:
    """One system for the row when every code names the same known one; else codes as stored."""
    systems = {c.rsplit("|", 1)[0] if "|" in c else "" for c in codes}
    system = systems.pop() if len(systems) == 1 else ""
    if system not in dict(SYSTEMS):
        system = ""
    shown = [c.removeprefix(f"{system}|") if system else c for c in codes]
    return {"system": system, "codes": ", ".join(shown)}


class BaseConditionFormSet(BaseFormSet):
    """Rows are added and removed in the page: every posted row counts as new, so a removed
    row (its fields gone from the post) is skipped rather than required."""

    def initial_form_count(self) -> int:
        return 0 if self.is_bound else super().initial_form_count()

    def clean(self) -> None:
        if not any(self.errors) and not self.conditions():
            raise forms.ValidationError("A rule needs at least one condition: add one.")

    def rows(self) -> list[ConditionRowForm]:
        """The rows to show: a post shown again leaves out the rows removed (or left blank)."""
        return [form for form in self.forms if not self.is_bound or form.has_changed()]

    def conditions(self) -> list[dict[str, Any]]:
        return [form.condition() for form in self.forms if form.cleaned_data]


ConditionFormSet = formset_factory(
    ConditionRowForm, formset=BaseConditionFormSet, extra=0, max_num=MAX_ROWS, validate_max=True
)


def condition_formset(
    data: QueryDict | None, *, conditions: list[dict[str, Any]] | None = None
) -> BaseConditionFormSet:
    """The builder for a post, or showing stored conditions (one empty row for a new rule)."""
    initial = [row_initial(item) for item in conditions] if conditions else [{}]
    return ConditionFormSet(data, initial=None if data is not None else initial, prefix=PREFIX)


def builder_row(params: QueryDict) -> tuple[ConditionRowForm, int | None]:
    """The row a builder request asks for: a new one at the end (the posted total of rows given;
    the new total is returned too), or row `index` redrawn for its chosen kind, keeping its
    values. ValueError for a request naming no valid row."""
    total = params.get(f"{PREFIX}-TOTAL_FORMS")
    index = int(total if total is not None else params.get("index", ""))
    if not 0 <= index < MAX_ROWS * 5:  # removed rows leave gaps in the numbering
        raise ValueError("no such row")
    prefix = f"{PREFIX}-{index}"
    if total is not None:
        return ConditionRowForm(prefix=prefix), index + 1
    names = ConditionRowForm.base_fields
    initial = {name: params.get(f"{prefix}-{name}") for name in names}
    return ConditionRowForm(prefix=prefix, initial=initial), None
