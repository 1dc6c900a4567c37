"""Cards shown while a medication order is composed (order-select) are acted on there, like the
order-sign cards at review: accepting a suggestion or overriding a card (with a reason) sends
feedback to its service, which counts in a rule's acceptance rate."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cds.models import CardFeedback, Rule
from cds.rules.services import RuleContent, rule_create, rule_set_enabled
from tests.clinical import fhir_factories as f
from tests.clinical.test_orders import ASPIRIN, RXNORM, compose, requests

pytestmark = pytest.mark.django_db
METFORMIN = f"{RXNORM}|860975|24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"
IBUPROFEN = f"{RXNORM}|310965|Ibuprofen 200 MG Oral Tablet"
INTERACTION = (
    "Interaction (major): Aspirin 81 MG Oral Tablet + Warfarin Sodium 5 MG Oral Tablet (active)"
)
RULE_SUMMARY = "NSAID ordered: check renal function"
BODY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chart-body"}
CARDS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "order-select-cards"}


def card_of(html: str, summary: str) -> tuple[str, list[str], list[str]]:
    """The card's key, its suggestions' uuids and its override reason codes."""
    (article,) = [a for a in html.split("<article")[1:] if summary in a]
    key = re.search(r'name="card" value="([^"]+)"', article)[1]
    suggestions = re.findall(r'name="suggestion" value="([^"]+)"', article)
    reasons = re.findall(r'<option value="([^"]+)">', article)
    return key, suggestions, reasons


def act(client, patient_id: str, action: str, data: dict, headers: dict) -> str:
    url = reverse(f"chart-order-select-{action}", kwargs={"patient_id": patient_id})
    return client.post(url, data, **headers).content.decode()


def test_accepting_a_suggestion_while_composing_sends_feedback(patient_id, as_physician, physician):
    f.create(f.medication_request(patient_id))  # warfarin, active
    html = compose(as_physician, patient_id, ASPIRIN).content.decode()
    key, (cancel,), _ = card_of(html, INTERACTION)
    assert 'hx-target="#chart-body"' in html  # accepting replaces the order being composed

    done = act(as_physician, patient_id, "accept", {"card": key, "suggestion": cancel}, BODY)
    assert f"Suggestion accepted: {INTERACTION}." in done
    feedback = CardFeedback.objects.get()
    assert (feedback.service_id, feedback.outcome, feedback.user) == (
        "medication-safety",
        "accepted",
        physician,
    )
    assert feedback.accepted_suggestions == [cancel]
    assert [o["status"] for o in requests(patient_id)] == ["active"]  # aspirin never placed

    again = act(as_physician, patient_id, "accept", {"card": key, "suggestion": cancel}, BODY)
    assert "That alert is no longer shown." in again
    assert CardFeedback.objects.count() == 1


def test_overriding_while_composing_needs_a_reason_and_sends_feedback(patient_id, as_physician):
    f.create(f.medication_request(patient_id))
    html = compose(as_physician, patient_id, ASPIRIN).content.decode()
    key, _, reasons = card_of(html, INTERACTION)

    refused = act(as_physician, patient_id, "override", {"card": key}, CARDS)
    assert "Give a reason (or a comment)" in refused and INTERACTION in refused
    assert not CardFeedback.objects.exists()
    data = {"card": key, "reason": reasons[0], "comment": "INR checked weekly"}
    done = act(as_physician, patient_id, "override", data, CARDS)
    assert f"Overridden: {INTERACTION}." in done and "<article" not in done
    feedback = CardFeedback.objects.get()
    assert (feedback.outcome, feedback.override_reason["code"], feedback.user_comment) == (
        "overridden",
        reasons[0],
        "INR checked weekly",
    )
    assert [o["status"] for o in requests(patient_id)] == ["active"]


def test_accepting_a_changed_dose_while_composing_saves_it_as_a_draft(patient_id, as_physician):
    egfr = f.lab(
        patient_id,
        code="62238-1",
        display="eGFR CKD-EPI",
        value=38,
        unit="mL/min/{1.73_m2}",
        low=60,
        high=120,
        when=timezone.now() - timedelta(days=5),
    )
    f.create(egfr)
    html = compose(as_physician, patient_id, METFORMIN).content.decode()
    key, (reduce, _), _ = card_of(html, "Renal dosing")
    act(as_physician, patient_id, "accept", {"card": key, "suggestion": reduce}, BODY)
    (order,) = requests(patient_id)
    assert order["status"] == "draft" and not order["id"].startswith("composing-")
    assert order["dosageInstruction"][0]["text"].startswith("500 mg by mouth twice daily")
    assert CardFeedback.objects.get().accepted_suggestions == [reduce]


@pytest.fixture
def nsaid_rule(administrator) -> Rule:
    lab_order = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/{{context.patientId}}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "33914-3"}], "text": "eGFR"},
    }
    suggestion = {
        "label": "Order an eGFR",
        "actions": [{"type": "create", "description": "eGFR", "resource": lab_order}],
    }
    content = RuleContent(
        title="NSAID renal check",
        description="An NSAID being ordered",
        hook="order-select",
        conditions=[{"type": "medication", "class": "nsaids"}],
        card={"indicator": "warning", "summary": RULE_SUMMARY, "suggestion": suggestion},
    )
    rule = rule_create(slug="nsaid-renal", content=content, acting_user=administrator)
    rule_set_enabled(rule=rule, enabled=True, acting_user=administrator)
    return rule


def test_feedback_while_composing_counts_in_the_rule_acceptance_rate(
    patient_id, as_physician, nsaid_rule, administrator, signed_in
):
    key, (order_egfr,), _ = card_of(
        compose(as_physician, patient_id, IBUPROFEN).content.decode(), RULE_SUMMARY
    )
    act(as_physician, patient_id, "accept", {"card": key, "suggestion": order_egfr}, BODY)
    assert [r["code"]["text"] for r in requests(patient_id, "ServiceRequest")] == ["eGFR"]

    key, _, reasons = card_of(
        compose(as_physician, patient_id, IBUPROFEN).content.decode(), RULE_SUMMARY
    )
    act(as_physician, patient_id, "override", {"card": key, "reason": reasons[0]}, CARDS)

    outcomes = CardFeedback.objects.filter(rule=nsaid_rule).values_list("outcome", flat=True)
    assert sorted(outcomes) == ["accepted", "overridden"]
    page = signed_in(administrator).get("/cds/rules/").content.decode()
    row = page.split("rule-nsaid-renal")[1].split("</tr>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", row)  # hook, version, state, issued, accepted, ...
    assert cells[3:7] == ["2", "1", "1", "50%"]
