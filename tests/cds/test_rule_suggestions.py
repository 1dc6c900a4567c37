"""The suggestion builder of the rule pages: each kind validated and turned into the suggestion JSON
the card template renders, stored suggestions shown back in the builder, hand-made JSON kept
until replaced, and a built suggestion accepted on the chart drafting the order."""

import pytest
from django.http import QueryDict

from cds.fhir_values import LOINC, RXNORM, SNOMED
from cds.models import Rule
from cds.rules.card_template import check_card_template
from cds.rules.services import RuleContent, rule_create, rule_set_enabled
from cds.rules.suggestion_forms import KEEP, suggestion_form, suggestion_initial
from fhirapi.services import FhirRepository
from tests.cds.helpers import builder_rows
from tests.clinical import fhir_factories as f

SUGGESTION_URL = "/cds/rules/new/suggestion/"
PATIENT = {"reference": "Patient/{{context.patientId}}"}
LAB_ORDER = {
    "label": "Order HbA1c",
    "actions": [
        {
            "type": "create",
            "description": "Order HbA1c",
            "resource": {
                "resourceType": "ServiceRequest",
                "status": "draft",
                "intent": "order",
                "category": [
                    {
                        "coding": [
                            {
                                "system": SNOMED,
                                "code": "108252007",
                                "display": "Laboratory procedure",
                            }
                        ],
                        "text": "Laboratory procedure",
                    }
                ],
                "code": {
                    "coding": [{"system": LOINC, "code": "4548-4", "display": "Hemoglobin A1c"}],
                    "text": "Hemoglobin A1c",
                },
                "subject": PATIENT,
            },
        }
    ],
}
METFORMIN = "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"
MEDICATION = {
    "label": f"Prescribe {METFORMIN}",
    "actions": [
        {
            "type": "create",
            "description": f"Prescribe {METFORMIN}",
            "resource": {
                "resourceType": "MedicationRequest",
                "status": "draft",
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": "860975", "display": METFORMIN}],
                    "text": METFORMIN,
                },
                "subject": PATIENT,
                "dosageInstruction": [{"text": "500 mg by mouth once daily with dinner"}],
            },
        }
    ],
}
HAND_MADE = {
    "label": "Stop the NSAID",
    "actions": [{"type": "delete", "description": "Stop", "resourceId": "MedicationRequest/x"}],
}
# each kind, as posted, and the suggestion it stands for
KINDS = [
    ({"kind": ""}, None),
    (
        {
            "kind": "service-request",
            "label": "Order HbA1c",
            "category": "laboratory",
            "system": LOINC,
            "code": "4548-4",
            "display": "Hemoglobin A1c",
        },
        LAB_ORDER,
    ),
    (
        {
            "kind": "medication-request",
            "drug_code": "860975",
            "drug_display": METFORMIN,
            "dosage": "500 mg by mouth once daily with dinner",
        },
        MEDICATION,
    ),
]


def posted(fields: dict[str, str]) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update({f"suggestion-{name}": value for name, value in fields.items()})
    return data


@pytest.mark.parametrize(("fields", "suggestion"), KINDS, ids=["none", "service", "medication"])
def test_each_kind_becomes_its_suggestion(fields, suggestion):
    built = suggestion_form(posted(fields))
    assert built.is_valid(), built.errors
    assert built.suggestion() == suggestion
    check_card_template({"indicator": "info", "summary": "s", "suggestion": suggestion})


def test_other_categories_and_snomed_codes():
    fields = {"kind": "service-request", "category": "referral", "system": SNOMED}
    built = suggestion_form(posted(fields | {"code": "183524004", "display": "Psychiatry"}))
    assert built.is_valid(), built.errors
    order = built.suggestion()["actions"][0]["resource"]
    assert order["category"][0]["coding"][0]["code"] == "3457005"
    assert order["code"]["coding"][0] == {
        "system": SNOMED,
        "code": "183524004",
        "display": "Psychiatry",
    }
    assert built.suggestion()["label"] == "Order Psychiatry"


SERVICE = {"kind": "service-request", "category": "imaging", "system": LOINC, "display": "CXR"}
DRUG = {"kind": "medication-request", "drug_display": "Ibuprofen", "dosage": "200 mg"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (SERVICE, "code", "Required for this kind of suggestion."),
        (SERVICE | {"code": "36643-5", "system": ""}, "system", "Required"),
        (SERVICE | {"code": "36643-5", "category": "x-ray"}, "category", "valid choice"),
        (SERVICE | {"code": "X-ray"}, "code", "A LOINC code looks like 4548-4."),
        (SERVICE | {"code": "36643-5", "system": SNOMED}, "code", "6 to 18 digits"),
        (SERVICE | {"code": "36643-5", "display": ""}, "display", "Required"),
        (DRUG, "drug_code", "Required for this kind of suggestion."),
        (DRUG | {"drug_code": "ibu"}, "drug_code", "digits only"),
        (DRUG | {"drug_code": "999999999"}, "drug_code", "not in the ingredient or product"),
        (DRUG | {"drug_code": "310965", "dosage": ""}, "dosage", "Required"),
        ({"kind": KEEP}, "kind", "valid choice"),  # nothing stored to keep
        ({"kind": "immunization"}, "kind", "valid choice"),
    ],
)
def test_bad_suggestions_get_errors_on_their_fields(fields, field, message):
    built = suggestion_form(posted(fields))
    assert not built.is_valid()
    assert any(message in text for text in built.errors[field]), built.errors


@pytest.mark.parametrize("stored", [LAB_ORDER, MEDICATION], ids=["service", "medication"])
def test_stored_suggestions_round_trip_through_the_builder(stored):
    initial = suggestion_initial(stored)
    assert initial is not None
    built = suggestion_form(posted(initial))
    assert built.is_valid(), built.errors
    assert built.suggestion() == stored


@pytest.mark.parametrize(
    "stored",
    [
        HAND_MADE,
        {**LAB_ORDER, "label": "Order it", "extra": 1},
        {**LAB_ORDER, "actions": LAB_ORDER["actions"] * 2},
        {"label": "x", "actions": [{"type": "create", "resource": {"resourceType": "Task"}}]},
        "not an object",
    ],
    ids=["delete", "extra-key", "two-actions", "other-resource", "string"],
)
def test_hand_made_suggestions_are_kept_until_replaced(stored):
    assert suggestion_initial(stored) is None
    shown = suggestion_form(None, stored=stored)
    assert shown["kind"].value() == KEEP
    kept = suggestion_form(posted({"kind": KEEP}), stored=stored)
    assert kept.is_valid(), kept.errors
    assert kept.suggestion() == stored
    replaced = suggestion_form(posted({"kind": ""}), stored=stored)
    assert replaced.is_valid() and replaced.suggestion() is None


@pytest.fixture
def admin_client(administrator, signed_in):
    return signed_in(administrator)


def a_rule(administrator, suggestion, *, slug: str = "shown") -> Rule:
    content = RuleContent(
        title="t",
        description="d",
        hook="patient-view",
        conditions=[{"type": "age", "min": 18}],
        card={
            "indicator": "info",
            "summary": "Adult: consider the order",
            "suggestion": suggestion,
        },
    )
    return rule_create(slug=slug, content=content, acting_user=administrator)


def rule_post(**fields: str) -> dict[str, str]:
    base = {"title": "t", "description": "d", "hook": "patient-view", "indicator": "info"}
    base |= {"summary": "Adult: consider the order", "link_type": "absolute"}
    return base | builder_rows([{"kind": "age", "min_age": "18"}]) | fields


def test_editing_shows_the_stored_suggestion_in_the_builder(admin_client, administrator):
    a_rule(administrator, MEDICATION)
    text = admin_client.get("/cds/rules/shown/").content.decode()
    assert '<option value="medication-request" selected>' in text
    assert 'name="suggestion-drug_code" value="860975"' in text
    assert "kept-suggestion" not in text and 'value="keep"' not in text


def test_a_hand_made_suggestion_is_shown_read_only_and_kept(admin_client, administrator):
    rule = a_rule(administrator, HAND_MADE)
    text = admin_client.get("/cds/rules/shown/").content.decode()
    assert '<option value="keep" selected>' in text
    assert '<pre id="kept-suggestion">' in text and "MedicationRequest/x" in text
    form = rule_post(**{"suggestion-kind": KEEP, "summary": "Changed"})
    assert admin_client.post("/cds/rules/shown/", form).status_code == 302
    assert rule.versions.first().card["suggestion"] == HAND_MADE
    form = rule_post(**{f"suggestion-{k}": v for k, v in KINDS[1][0].items()})
    assert admin_client.post("/cds/rules/shown/", form).status_code == 302
    assert rule.versions.first().card["suggestion"] == LAB_ORDER
    assert rule.versions.count() == 3


def test_suggestion_endpoint_redraws_for_the_kind(admin_client, administrator):
    a_rule(administrator, HAND_MADE)
    service = admin_client.get(SUGGESTION_URL, {"suggestion-kind": "service-request"})
    text = service.content.decode()
    assert 'name="suggestion-category"' in text and 'name="suggestion-dosage"' not in text
    assert 'value="keep"' not in text  # a new rule has nothing to keep
    kept = admin_client.get(SUGGESTION_URL, {"suggestion-kind": KEEP, "rule": "shown"})
    text = kept.content.decode()
    assert '<option value="keep" selected>' in text and "MedicationRequest/x" in text
    drug = admin_client.get(
        SUGGESTION_URL,
        {"suggestion-kind": "medication-request", "suggestion-dosage": "1 tab", "rule": "shown"},
    ).content.decode()
    assert 'value="1 tab"' in drug and 'value="keep"' in drug and "kept-suggestion" not in drug


def test_suggestion_endpoint_needs_the_permission(client, physician, signed_in):
    assert client.get(SUGGESTION_URL).status_code == 302
    assert signed_in(physician).get(SUGGESTION_URL).status_code == 403


@pytest.mark.parametrize(
    ("suggestion", "resource_type"),
    [(LAB_ORDER, "ServiceRequest"), (MEDICATION, "MedicationRequest")],
    ids=["service", "medication"],
)
def test_accepting_a_built_suggestion_on_the_chart_drafts_the_order(
    administrator, physician, signed_in, suggestion, resource_type
):
    rule = a_rule(administrator, suggestion)
    rule_set_enabled(rule=rule, enabled=True, acting_user=administrator)
    patient_id = f.create(f.patient())
    chart = signed_in(physician)
    fragment = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "cds-cards"}
    cards = chart.get(f"/chart/{patient_id}/cds/", **fragment).content.decode()
    (card,) = [c for c in cards.split("<article")[1:] if "Adult: consider the order" in c]
    assert f">{suggestion['label']}</button>" in card
    keys = {
        name: card.split(f'name="{name}" value="')[1].split('"')[0]
        for name in ("card", "suggestion")
    }
    done = chart.post(f"/chart/{patient_id}/cds/accept/", keys, **fragment).content.decode()
    assert "Done: Adult: consider the order." in done
    bundle = FhirRepository().search_bundle(resource_type, [("patient", patient_id)], base_url="")
    (order,) = [entry["resource"] for entry in bundle.get("entry", [])]
    expected = suggestion["actions"][0]["resource"]
    assert order["status"] == "draft" and order["subject"] == {"reference": f"Patient/{patient_id}"}
    assert {k: v for k, v in order.items() if k in expected and k != "subject"} == {
        k: v for k, v in expected.items() if k != "subject"
    }
