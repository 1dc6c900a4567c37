"""The condition builder of the rule pages: each row kind validated and turned into the JSON
conditions the engine reads, stored conditions shown back as rows, and the HTMX row endpoint."""

import pytest
from django.http import QueryDict

from cds.fhir_values import SNOMED
from cds.models import Rule
from cds.rules.condition_forms import condition_formset, row_initial
from cds.rules.conditions import parse_conditions
from cds.rules.services import RuleContent, rule_create
from tests.cds.helpers import builder_rows

ROW_URL = "/cds/rules/new/condition-row/"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"

# each row kind, as posted, and the condition it stands for
KINDS = [
    ({"kind": "age", "min_age": "65"}, {"type": "age", "min": 65}),
    ({"kind": "age", "min_age": "18", "max_age": "40"}, {"type": "age", "min": 18, "max": 40}),
    ({"kind": "sex", "sex": "female"}, {"type": "sex", "value": "female"}),
    (
        {"kind": "condition-code", "system": SNOMED, "codes": "44054006, 38341003"},
        {"type": "condition", "codes": [f"{SNOMED}|44054006", f"{SNOMED}|38341003"]},
    ),
    ({"kind": "condition-code", "codes": "E11.9"}, {"type": "condition", "codes": ["E11.9"]}),
    (
        {"kind": "condition-value-set", "value_set": "chronic-kidney-disease"},
        {"type": "condition", "valueSet": "chronic-kidney-disease"},
    ),
    (
        {"kind": "lab", "lab_code": "4548-4", "operator": ">=", "value": "9.5"},
        {"type": "lab", "code": "4548-4", "operator": ">=", "value": 9.5},
    ),
    (
        {"kind": "lab", "lab_code": "4548-4", "operator": "missing", "max_age_days": "183"},
        {"type": "lab", "code": "4548-4", "operator": "missing", "maxAgeDays": 183},
    ),
    (
        {"kind": "medication-code", "codes": "6809", "negate": "on"},
        {"type": "medication", "codes": ["6809"], "negate": True},
    ),
    (
        {"kind": "medication-class", "drug_class": "nsaids"},
        {"type": "medication", "class": "nsaids"},
    ),
    (
        {"kind": "allergy-code", "system": SNOMED, "codes": "91936005"},
        {"type": "allergy", "codes": [f"{SNOMED}|91936005"]},
    ),
    (
        {"kind": "allergy-class", "allergy_class": "penicillins"},
        {"type": "allergy", "class": "penicillins"},
    ),
]


def formset(rows: list[dict[str, str]]):
    data = QueryDict(mutable=True)
    data.update(builder_rows(rows))
    return condition_formset(data)


def row_errors(rows: list[dict[str, str]]) -> list[dict[str, list[str]]]:
    built = formset(rows)
    assert not built.is_valid()
    return [dict(form.errors) for form in built.forms]


@pytest.mark.parametrize(("row", "condition"), KINDS, ids=[r["kind"] for r, _ in KINDS])
def test_each_kind_becomes_its_condition(row, condition):
    built = formset([row])
    assert built.is_valid(), built.errors
    assert built.conditions() == [condition]
    parse_conditions(built.conditions())


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"kind": "sex"}, "sex", "Required for this kind of condition."),
        ({"kind": "age", "min_age": "-1"}, "min_age", "greater than or equal to 0"),
        ({"kind": "age"}, "__all__", "give min, max or both (years)"),
        ({"kind": "age", "min_age": "70", "max_age": "60"}, "__all__", "min is greater than max"),
        ({"kind": "condition-code", "codes": " , "}, "codes", "Required for this kind"),
        ({"kind": "allergy-code", "codes": "91936005 <b>"}, "codes", "letters, digits"),
        ({"kind": "condition-value-set", "value_set": "nope"}, "value_set", "valid choice"),
        ({"kind": "lab", "operator": "<", "value": "60"}, "lab_code", "Required for this kind"),
        ({"kind": "lab", "lab_code": "eGFR", "operator": "<"}, "lab_code", "looks like 4548-4"),
        ({"kind": "lab", "lab_code": "33914-3", "operator": "<"}, "value", "threshold"),
        ({"kind": "lab", "lab_code": "33914-3", "value": "60"}, "operator", "Required"),
        ({"kind": "lab", "lab_code": "1-1", "operator": "<", "value": "x"}, "value", "number"),
        ({"kind": "medication-code", "codes": "999999999"}, "__all__", "RxNorm code 999999999"),
        ({"kind": "medication-class", "drug_class": ""}, "drug_class", "Required"),
        ({"kind": "allergy-class", "allergy_class": "nope"}, "allergy_class", "valid choice"),
        ({"kind": "bmi", "min_age": "3"}, "kind", "valid choice"),
    ],
)
def test_bad_rows_get_errors_on_their_fields(row, field, message):
    good = {"kind": "sex", "sex": "male"}
    errors = row_errors([good, row])
    assert errors[0] == {}
    assert any(message in text for text in errors[1][field]), errors[1]


def test_a_row_ignores_the_fields_of_other_kinds():
    built = formset([{"kind": "sex", "sex": "female", "min_age": "old", "codes": "<b>"}])
    assert built.is_valid(), built.errors
    assert built.conditions() == [{"type": "sex", "value": "female"}]


def test_removed_rows_are_skipped_and_a_rule_needs_one_condition():
    rows = builder_rows([{"kind": "sex", "sex": "male"}])
    rows |= {"conditions-TOTAL_FORMS": "3", "conditions-2-kind": "age", "conditions-2-min_age": "5"}
    data = QueryDict(mutable=True)
    data.update(rows)  # row 1 was removed in the page: none of its fields are posted
    built = condition_formset(data)
    assert built.is_valid(), built.errors
    assert built.conditions() == [{"type": "sex", "value": "male"}, {"type": "age", "min": 5}]
    assert [row.index for row in built.rows()] == ["0", "2"]  # shown again without the gap
    empty = formset([])
    assert not empty.is_valid()
    assert empty.non_form_errors() == ["A rule needs at least one condition: add one."]


def test_stored_conditions_round_trip_through_rows():
    stored = [condition for _, condition in KINDS] + [
        {"type": "condition", "codes": [f"{SNOMED}|44054006", f"{ICD10}|E11.9"]},  # two systems
        {"type": "condition", "codes": ["http://example.org/codes|X1"]},  # a system not offered
        {"type": "lab", "code": "33914-3", "operator": "<", "value": 60, "maxAgeDays": 365},
        {"type": "sex", "value": "male", "negate": True},
    ]
    rows = [
        {name: "on" if value is True else str(value) for name, value in row_initial(c).items()}
        for c in stored
    ]
    rows = [{k: v for k, v in row.items() if v not in ("None", "False")} for row in rows]
    built = formset(rows)
    assert built.is_valid(), built.errors
    assert built.conditions() == stored


@pytest.fixture
def admin_client(administrator, signed_in):
    return signed_in(administrator)


def test_editing_shows_the_stored_conditions_as_rows(admin_client, administrator):
    content = RuleContent(
        title="t",
        description="d",
        hook="patient-view",
        conditions=[
            {"type": "lab", "code": "4548-4", "operator": ">", "value": 9, "maxAgeDays": 90},
            {"type": "medication", "class": "nsaids", "negate": True},
        ],
        card={"indicator": "info", "summary": "s"},
    )
    rule_create(slug="shown", content=content, acting_user=administrator)
    text = admin_client.get("/cds/rules/shown/").content.decode()
    lab, medication = text.split('class="condition-row"')[1:]
    assert '<option value="lab" selected>' in lab
    assert 'value="4548-4"' in lab and 'value="9.0"' not in lab and 'value="90"' in lab
    assert '<option value="&gt;" selected>' in lab
    assert '<option value="medication-class" selected>' in medication
    assert '<option value="nsaids" selected>' in medication
    assert 'name="conditions-1-negate" id="id_conditions-1-negate" checked' in medication


def test_row_endpoint_adds_and_redraws_rows(admin_client):
    added = admin_client.get(ROW_URL, {"conditions-TOTAL_FORMS": "2"}).content.decode()
    assert 'id="condition-row-2"' in added and 'name="conditions-2-kind"' in added
    assert 'value="3" id="id_conditions-TOTAL_FORMS" hx-swap-oob="true"' in added
    redrawn = admin_client.get(
        ROW_URL,
        {"index": "1", "conditions-1-kind": "condition-value-set", "conditions-1-negate": "on"},
    ).content.decode()
    assert 'name="conditions-1-value_set"' in redrawn and "chronic-kidney-disease" in redrawn
    assert "conditions-1-min_age" not in redrawn and "TOTAL_FORMS" not in redrawn
    assert 'id="id_conditions-1-negate" checked' in redrawn
    assert admin_client.get(ROW_URL, {"remove": "1"}).content == b""
    assert admin_client.get(ROW_URL, {"index": "x"}).status_code == 400
    assert admin_client.get(ROW_URL, {"index": "-1"}).status_code == 400


def test_row_endpoint_needs_the_permission(client, physician, signed_in):
    assert client.get(ROW_URL, {"index": "0"}).status_code == 302
    assert signed_in(physician).get(ROW_URL, {"index": "0"}).status_code == 403
    assert not Rule.objects.exists()
