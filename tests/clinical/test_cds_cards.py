"""patient-view cards on the summary: shown with their indicator and suggestions; accepting one
applies it, overriding one needs a reason; both send feedback to the service."""

import time

import pytest
from django.urls import reverse

from cds.models import CardFeedback
from cds.services.critical_results import is_acknowledged
from fhirapi.services import FhirRepository
from tests.cds.fake_provider import GOOD_CARD, FakeCdsProvider, register
from tests.clinical import fhir_factories as f

pytestmark = pytest.mark.django_db
CARDS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "cds-cards"}


@pytest.fixture
def critical(patient_id) -> str:
    return f.create(f.lab(patient_id, value=6.9, flag="HH"))


def card_keys(html: str) -> tuple[str, str]:
    card = html.split('name="card" value="')[1].split('"')[0]
    suggestion = html.split('name="suggestion" value="')[1].split('"')[0]
    return card, suggestion


def test_summary_loads_cards_lazily(patient_id, critical, as_physician):
    summary = as_physician.get(
        reverse("chart-summary", kwargs={"patient_id": patient_id})
    ).content.decode()
    assert 'hx-trigger="load"' in summary and "Critical result" not in summary
    cards = as_physician.get(
        reverse("chart-cds", kwargs={"patient_id": patient_id}), **CARDS
    ).content.decode()
    assert "indicator-critical" in cards and "Critical result not acknowledged: Potassium" in cards
    assert "Acknowledge result" in cards


def test_accepting_the_suggestion_applies_it(patient_id, critical, as_physician):
    cards = as_physician.get(
        reverse("chart-cds", kwargs={"patient_id": patient_id}), **CARDS
    ).content.decode()
    card, suggestion = card_keys(cards)
    done = as_physician.post(
        reverse("chart-cds-accept", kwargs={"patient_id": patient_id}),
        {"card": card, "suggestion": suggestion},
        **CARDS,
    ).content.decode()
    assert "Done:" in done
    assert is_acknowledged(FhirRepository().read("Observation", critical).content)
    assert CardFeedback.objects.filter(
        outcome="accepted", accepted_suggestions=[suggestion]
    ).exists()


def test_override_needs_a_reason_and_sends_feedback(patient_id, critical, as_physician):
    cards = as_physician.get(
        reverse("chart-cds", kwargs={"patient_id": patient_id}), **CARDS
    ).content.decode()
    card, _ = card_keys(cards)
    url = reverse("chart-cds-override", kwargs={"patient_id": patient_id})
    refused = as_physician.post(url, {"card": card}, **CARDS).content.decode()
    assert "Give a reason" in refused
    done = as_physician.post(
        url, {"card": card, "comment": "repeat sample sent"}, **CARDS
    ).content.decode()
    assert "Overridden:" in done and "indicator-critical" not in done
    feedback = CardFeedback.objects.get(outcome="overridden")
    assert feedback.user_comment == "repeat sample sent"
    assert not is_acknowledged(FhirRepository().read("Observation", critical).content)


def test_a_card_of_another_patient_cannot_be_acted_on(patient_id, critical, as_physician):
    cards = as_physician.get(
        reverse("chart-cds", kwargs={"patient_id": patient_id}), **CARDS
    ).content.decode()
    card, suggestion = card_keys(cards)
    other = f.create(f.patient("Other"))
    html = as_physician.post(
        reverse("chart-cds-accept", kwargs={"patient_id": other}),
        {"card": card, "suggestion": suggestion},
        **CARDS,
    ).content.decode()
    assert "no longer shown" in html
    assert not is_acknowledged(FhirRepository().read("Observation", critical).content)


def test_slow_failing_and_garbage_services_leave_the_chart_usable(
    patient_id, as_physician, provider_url, settings
):
    settings.CDS_HOOKS_TIME_BUDGET_SECONDS = 1.0
    for mode in ("good", "slow", "garbage"):
        register(provider_url, mode)
    started = time.monotonic()
    response = as_physician.get(reverse("chart-cds", kwargs={"patient_id": patient_id}), **CARDS)
    assert time.monotonic() - started < 1.8
    html = response.content.decode()
    assert response.status_code == 200 and GOOD_CARD["summary"] in html
    # the slow one, the garbage one and the good one's malformed second card
    assert "3 decision-support services did not answer." in html
    summary = reverse("chart-summary", kwargs={"patient_id": patient_id})
    assert as_physician.get(summary).status_code == 200

    done = as_physician.post(
        reverse("chart-cds-override", kwargs={"patient_id": patient_id}),
        {"card": GOOD_CARD["uuid"], "comment": "not for this patient"},
        **CARDS,
    ).content.decode()
    assert f"Overridden: {GOOD_CARD['summary']}." in done
    path, _headers, body = FakeCdsProvider.received[-1]
    assert path == "/good/cds-services/svc/feedback"
    (item,) = body["feedback"]
    assert item["outcome"] == "overridden"
    assert item["overrideReason"] == {"userComment": "not for this patient"}
