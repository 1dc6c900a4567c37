"""The CDS service performance page: cards shown, accepted and overridden per service (built-in,
rule, external) over a period, with the most common override reasons; administrators only."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from cds.client import call_hooks, send_feedback
from cds.feedback import FeedbackItem, feedback_record
from cds.models import CardFeedback, ExternalCdsService, IssuedCard, Rule, RuleVersion
from cds.performance.selectors import NO_REASON, OverrideReason, service_performance
from tests.cds.fake_provider import register

BENEFIT = {"code": "benefit-outweighs-risk", "display": "Benefit outweighs risk"}
MONITOR = {"code": "will-monitor", "display": "Will monitor and adjust"}
TOLERATED = {"code": "already-tolerated", "display": "Patient already tolerates this therapy"}
BUILT_IN = ["care-gaps", "critical-results", "medication-safety", "discharge-readiness"]


def shown(service_id: str, *, provider=None, days_ago: float = 0) -> str:
    card = IssuedCard.objects.create(
        uuid=uuid.uuid4(),
        service_id=service_id,
        provider=provider,
        hook="order-select",
        hook_instance="h",
        summary="an alert",
        indicator="warning",
    )
    when = timezone.now() - timedelta(days=days_ago)
    IssuedCard.objects.filter(pk=card.pk).update(issued_at=when)
    return str(card.uuid)


def answered(
    service_id: str, card: str, outcome: str, *, reason=None, provider=None, days_ago: float = 0
) -> None:
    item = FeedbackItem(
        card=card,
        outcome=outcome,
        outcome_timestamp=timezone.now(),
        accepted_suggestions=("s",) if outcome == "accepted" else (),
        override_reason=reason,
        user_comment="" if reason else "seen it before",
    )
    (feedback,) = feedback_record(
        service_id=service_id, items=[item], client=None, provider=provider
    )
    when = timezone.now() - timedelta(days=days_ago)
    CardFeedback.objects.filter(pk=feedback.pk).update(received_at=when)


def by_id(days: int = 30) -> dict[tuple[str, str], object]:
    return {(s.origin, s.service_id): s for s in service_performance(days=days)}


@pytest.fixture
def provider(db) -> ExternalCdsService:
    """An external provider whose service has the same id as one of ours."""
    return ExternalCdsService.objects.create(
        title="Pharmacy CDS",
        base_url="https://cds.example.org",
        services=[{"hook": "order-select", "id": "medication-safety", "title": "Drug checks"}],
    )


@pytest.fixture
def rule(db) -> Rule:
    rule = Rule.objects.create(slug="ckd-nsaid", enabled=False)
    RuleVersion.objects.create(
        rule=rule,
        number=1,
        title="NSAID in CKD",
        description="d",
        hook="order-select",
        conditions=[],
        card={},
    )
    return rule


def test_every_service_offered_is_listed_without_feedback(provider, rule):
    rows = service_performance(days=30)
    assert [(s.origin, s.service_id, s.title) for s in rows] == [
        ("built-in", "care-gaps", "Care gaps"),
        ("built-in", "critical-results", rows[1].title),
        ("built-in", "medication-safety", rows[2].title),
        ("built-in", "discharge-readiness", rows[3].title),
        ("rule", "rule-ckd-nsaid", "NSAID in CKD"),
        ("Pharmacy CDS", "medication-safety", "Drug checks"),
    ]
    assert all((s.shown, s.accepted, s.overridden, s.reasons) == (0, 0, 0, []) for s in rows)
    assert all(s.acceptance_rate is None for s in rows)


def test_mixed_outcomes_per_service_and_provider(provider, rule):
    ours = [shown("medication-safety") for _ in range(4)]
    for card in ours[:3]:
        answered("medication-safety", card, "accepted")
    answered("medication-safety", ours[3], "overridden", reason=BENEFIT)
    shown("care-gaps")
    answered("rule-ckd-nsaid", shown("rule-ckd-nsaid"), "overridden", reason=MONITOR)
    theirs = shown("medication-safety", provider=provider)
    answered("medication-safety", theirs, "overridden", reason=TOLERATED, provider=provider)

    rows = by_id()
    mine = rows[("built-in", "medication-safety")]
    assert (mine.shown, mine.accepted, mine.overridden, mine.acceptance_rate) == (4, 3, 1, 0.75)
    assert mine.reasons == [OverrideReason("Benefit outweighs risk", 1)]
    care = rows[("built-in", "care-gaps")]
    assert (care.shown, care.accepted, care.overridden, care.acceptance_rate) == (1, 0, 0, None)
    by_rule = rows[("rule", "rule-ckd-nsaid")]
    assert (by_rule.shown, by_rule.overridden, by_rule.acceptance_rate) == (1, 1, 0.0)
    external = rows[("Pharmacy CDS", "medication-safety")]
    assert (external.shown, external.overridden, external.acceptance_rate) == (1, 1, 0.0)
    assert external.reasons == [OverrideReason(TOLERATED["display"], 1)]


def test_the_period_leaves_out_older_cards_and_feedback(db):
    old = shown("medication-safety", days_ago=10)
    answered("medication-safety", old, "overridden", reason=BENEFIT, days_ago=10)
    answered("medication-safety", shown("medication-safety"), "accepted")

    week, month = by_id(7), by_id(30)
    recent = week[("built-in", "medication-safety")]
    assert (recent.shown, recent.accepted, recent.overridden, recent.reasons) == (1, 1, 0, [])
    both = month[("built-in", "medication-safety")]
    assert (both.shown, both.accepted, both.overridden, both.acceptance_rate) == (2, 1, 1, 0.5)


def test_override_reasons_are_ranked_most_common_first(db):
    reasons = [BENEFIT] * 3 + [MONITOR] * 2 + [TOLERATED, None]
    for reason in reasons:
        card = shown("medication-safety")
        answered("medication-safety", card, "overridden", reason=reason)
    row = by_id()[("built-in", "medication-safety")]
    assert row.overridden == 7
    assert row.reasons == [  # the top three; a tie goes alphabetically
        OverrideReason("Benefit outweighs risk", 3),
        OverrideReason("Will monitor and adjust", 2),
        OverrideReason("Patient already tolerates this therapy", 1),
    ]
    answered("medication-safety", shown("medication-safety"), "overridden")
    assert by_id()[("built-in", "medication-safety")].reasons[2] == OverrideReason(NO_REASON, 2)


def test_feedback_of_a_retired_service_is_still_shown(provider):
    answered("gone", shown("gone", provider=provider), "accepted", provider=provider)
    row = by_id()[("Pharmacy CDS", "gone")]
    assert (row.title, row.shown, row.accepted) == ("gone", 1, 1)


def test_query_count_does_not_grow_with_services(provider, rule, django_assert_max_num_queries):
    for service_id in [*BUILT_IN, "rule-ckd-nsaid"]:
        answered(service_id, shown(service_id), "overridden", reason=BENEFIT)
    with django_assert_max_num_queries(4):  # rules, providers, cards shown, feedback
        rows = service_performance(days=90)
    assert sum(s.overridden for s in rows) == 5


def test_external_cards_and_feedback_are_kept_for_the_page(provider_url, chart, physician):
    good = register(provider_url, "good")
    for _ in range(2):
        results = call_hooks(
            hook="patient-view",
            context={"userId": "Practitioner/doc"},
            user=physician,
            patient_id=chart.patient_id,
        )
    card = next(r for r in results if r.external and r.card)
    assert send_feedback(
        result=card,
        outcome="overridden",
        user=physician,
        override_reason={"code": "x", "display": "Not relevant"},
    )
    row = by_id()[("good", "svc")]
    assert (row.title, row.shown, row.overridden) == ("good service", 2, 1)
    assert row.reasons == [OverrideReason("Not relevant", 1)]
    assert CardFeedback.objects.get().provider == good
    assert by_id()[("built-in", "care-gaps")].shown == 2  # our own, from the same calls


# -- the page -------------------------------------------------------------------------------------


def test_page_needs_the_rule_managing_permission(client, physician, outsider, signed_in):
    response = client.get("/cds/performance/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert signed_in(physician).get("/cds/performance/").status_code == 403
    assert signed_in(outsider).get("/cds/performance/").status_code == 403


def test_page_shows_rates_and_reasons_for_the_chosen_period(administrator, signed_in):
    answered("medication-safety", shown("medication-safety", days_ago=20), "accepted", days_ago=20)
    answered("medication-safety", shown("medication-safety"), "overridden", reason=BENEFIT)
    browser = signed_in(administrator)

    month = browser.get("/cds/performance/").content.decode()  # 30 days unless asked
    assert '<a href="?days=30" aria-current="page">' in month
    assert "50%" in month and "Benefit outweighs risk (1)" in month
    assert '<table class="data" id="service-performance">' in month
    assert '<td class="num">50%</td>' in month  # counts and rates right-aligned
    week = browser.get("/cds/performance/?days=7").content.decode()
    assert '<a href="?days=7" aria-current="page">' in week
    assert "0%" in week and "50%" not in week
    odd = browser.get("/cds/performance/?days=3650").content.decode()
    assert '<a href="?days=30" aria-current="page">' in odd


def test_linked_from_the_admin_index_and_the_rule_list(administrator, signed_in):
    browser = signed_in(administrator)
    assert 'href="/cds/performance/"' in browser.get("/admin/").content.decode()
    assert 'href="/cds/performance/"' in browser.get("/cds/rules/").content.decode()
    assert browser.get("/admin/cds/cardfeedback/?provider__id__exact=1").status_code == 200
