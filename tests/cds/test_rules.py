import pytest

from cds.models import CardFeedback, Rule
from fhirapi.audit.models import AuditRecord
from tests.cds.helpers import builder_rows, hook_request, post_json
from tests.clinical import fhir_factories as f

CONDITIONS = [
    {"type": "age", "min": 18},
    {"type": "condition", "valueSet": "chronic-kidney-disease"},
    {"type": "medication", "class": "nsaids"},
    {"type": "lab", "code": "33914-3", "operator": "<", "value": 60, "maxAgeDays": 365},
]
ROWS = [
    {"kind": "age", "min_age": "18"},
    {"kind": "condition-value-set", "value_set": "chronic-kidney-disease"},
    {"kind": "medication-class", "drug_class": "nsaids"},
    {"kind": "lab", "lab_code": "33914-3", "operator": "<", "value": "60", "max_age_days": "365"},
]
SUGGESTION = {  # the builder's fields: order a basic metabolic panel
    "suggestion-kind": "service-request",
    "suggestion-category": "laboratory",
    "suggestion-system": "http://loinc.org",
    "suggestion-code": "51990-0",
    "suggestion-display": "Basic metabolic panel",
}


def form(rows: list[dict[str, str]] = ROWS, **overrides) -> dict:
    data = {
        "slug": "ckd-nsaid",
        "title": "NSAID in chronic kidney disease",
        "description": "Adults with CKD and eGFR < 60 taking an NSAID",
        "hook": "patient-view",
        "indicator": "warning",
        "summary": "NSAID with CKD and eGFR below 60: consider stopping",
        "detail": "NSAIDs worsen renal function in **CKD**.",
        **SUGGESTION,
        "link_label": "KDIGO guideline",
        "link_url": "https://kdigo.org/guidelines/ckd-evaluation-and-management/",
        "link_type": "absolute",
    }
    return {**data, **builder_rows(rows), **overrides}


@pytest.fixture
def editor(administrator):
    """The admin role manages rules and may read the patients it tries them on."""
    return administrator


@pytest.fixture
def browser(editor, signed_in):
    return signed_in(editor)


def ckd_patient(chart, *, egfr: float) -> None:
    chart.condition("433144002", "Chronic kidney disease stage 3")
    chart.medication("310965", "Ibuprofen 200 MG Oral Tablet")
    chart.lab("33914-3", "eGFR", egfr, "mL/min/{1.73_m2}", days_ago=20)


def test_pages_need_the_permission(client, physician, signed_in, db):
    assert client.get("/cds/rules/").status_code == 302  # to sign in
    assert signed_in(physician).get("/cds/rules/").status_code == 403


def test_invalid_rules_are_refused_with_clear_errors(browser):
    bad = [{"kind": "lab", "lab_code": "33914-3", "operator": "~", "value": "60"}, {"kind": "age"}]
    page = browser.post("/cds/rules/new/", form(bad, summary="x" * 141))
    assert page.status_code == 200
    text = page.content.decode()
    first, second = text.split('class="condition-row"')[1:]
    assert "Select a valid choice. ~ is not one of the available choices." in first
    assert "give min, max or both (years)" in second
    assert "at most 140 characters" in text
    page = browser.post("/cds/rules/new/", form([], **{"suggestion-code": "BMP"}))
    text = page.content.decode()
    assert "A LOINC code looks like 4548-4." in text
    assert "A rule needs at least one condition" in text
    assert not Rule.objects.exists()


def test_define_try_enable_call_and_feedback(browser, editor, chart, repository, client, open_cds):
    assert browser.post("/cds/rules/new/", form()).status_code == 302
    rule = Rule.objects.get(slug="ckd-nsaid")
    assert not rule.enabled
    assert rule.versions.get().conditions == CONDITIONS
    assert "rule-ckd-nsaid" not in client.get("/cds-services").content.decode()

    ckd_patient(chart, egfr=41)
    page = browser.post("/cds/rules/ckd-nsaid/try/", {"patient": chart.patient_id})
    text = page.content.decode()
    assert "Conditions for TESTPATIENT, Ada" in text
    assert "NSAID with CKD and eGFR below 60: consider stopping" in text
    assert "Ibuprofen 200 MG Oral Tablet" in text and "result 41 on" in text
    tried = AuditRecord.objects.get(patient_id=chart.patient_id, username=editor.username)
    assert (tried.subtype, tried.action) == ("operation", "E")
    assert "rule-ckd-nsaid v1 tried" in tried.content["outcomeDesc"]

    browser.post("/cds/rules/ckd-nsaid/toggle/")
    services = client.get("/cds-services").json()["services"]
    (entry,) = [s for s in services if s["id"] == "rule-ckd-nsaid"]
    assert entry["hook"] == "patient-view"
    assert set(entry["prefetch"]) == {"patient", "conditions", "medications", "lab-33914-3"}

    body = hook_request(
        "patient-view",
        {"userId": "Practitioner/doc", "patientId": chart.patient_id},
        fhirServer=open_cds.FHIR_BASE_URL,
    )
    body["prefetch"] = {key: _prefetch(repository, chart, key) for key in entry["prefetch"]}
    (card,) = post_json(client, "/cds-services/rule-ckd-nsaid", body).json()["cards"]
    (action,) = card["suggestions"][0]["actions"]
    assert card["suggestions"][0]["label"] == "Order Basic metabolic panel"
    assert action["resource"]["subject"] == {"reference": f"Patient/{chart.patient_id}"}
    assert card["links"][0]["type"] == "absolute"

    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "will-monitor",
                        "system": "http://wintehr.dev/fhir/CodeSystem/cds-override-reason",
                    },
                    "userComment": "nephrology aware",
                },
                "outcomeTimestamp": "2026-01-05T10:00:00Z",
            }
        ]
    }
    assert post_json(client, "/cds-services/rule-ckd-nsaid/feedback", feedback).status_code == 200
    stored = CardFeedback.objects.get()
    assert (stored.rule, stored.card.rule_version.number, stored.user_comment) == (
        rule,
        1,
        "nephrology aware",
    )
    page = browser.get("/cds/rules/").content.decode()
    assert "0%" in page and "enabled" in page
    browser.post("/cds/rules/ckd-nsaid/toggle/")  # disabled: feedback on its cards still counts
    assert post_json(client, "/cds-services/rule-ckd-nsaid/feedback", feedback).status_code == 200
    assert post_json(client, "/cds-services/rule-gone/feedback", feedback).status_code == 404


def test_try_finds_the_patient_by_mrn_and_names_a_miss(browser, repository):
    browser.post("/cds/rules/new/", form([{"kind": "sex", "sex": "male"}]))
    patient = f.patient("Mbeki", "Thabo", gender="male", mrn="MRN424242")
    repository.create(patient)
    text = browser.post("/cds/rules/ckd-nsaid/try/", {"patient": "MRN424242"}).content.decode()
    assert "Conditions for MBEKI, Thabo" in text and "consider stopping" in text
    text = browser.post("/cds/rules/ckd-nsaid/try/", {"patient": "MRN000000"}).content.decode()
    assert "No single patient has the MRN or id MRN000000." in text
    assert "Conditions for" not in text


def test_editing_makes_a_new_version_and_rates_are_per_rule(browser, chart, open_cds, client):
    browser.post("/cds/rules/new/", form())
    browser.post("/cds/rules/ckd-nsaid/toggle/")
    changed = form(summary="Stop NSAIDs in CKD")
    del changed["slug"]
    assert browser.post("/cds/rules/ckd-nsaid/", changed).status_code == 302
    rule = Rule.objects.get()
    assert list(rule.versions.values_list("number", flat=True)) == [2, 1]
    ckd_patient(chart, egfr=35)
    from cds.client import call_hooks, send_feedback

    results = call_hooks(
        hook="patient-view",
        context={"userId": "Practitioner/doc"},
        user=rule.versions.first().created_by,
        patient_id=chart.patient_id,
    )
    (result,) = [r for r in results if r.service_id == "rule-ckd-nsaid"]
    assert result.card["summary"] == "Stop NSAIDs in CKD"
    accepted = result.card["suggestions"][0]["uuid"]
    assert send_feedback(
        result=result,
        outcome="accepted",
        user=rule.versions.first().created_by,
        accepted_suggestion_ids=(accepted,),
    )
    page = browser.get("/cds/rules/").content.decode()
    assert "100%" in page
    assert CardFeedback.objects.get().card.rule_version.number == 2


def _prefetch(repository, chart, key: str):
    from cds.data_sources import RepositorySource, run_query
    from cds.prefetch import render_template, token_values
    from cds.registry import find_service

    template = find_service("rule-ckd-nsaid").prefetch[key]
    query = render_template(template, token_values({"patientId": chart.patient_id}))
    return run_query(RepositorySource(repository), query)
