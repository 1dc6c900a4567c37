"""The workspace's client against real HTTP services: good, slow and broken ones."""

import dataclasses
import json
import time

import pytest
from jwcrypto import jwk, jwt

from cds.client import apply_suggestion, call_hooks, send_feedback
from cds.client_signing import public_jwks
from cds.external import external_discovery_refresh
from cds.models import ExternalCdsService
from cds.services import medication_safety
from cds.tasks import refresh_external_services
from fhirapi.errors import FhirError
from tests.cds.fake_provider import GOOD_CARD, FakeCdsProvider, register
from tests.cds.fhir_builders import draft_bundle, medication_request


@pytest.fixture
def user(physician):
    return physician


def test_good_slow_and_garbage_services(provider_url, chart, user):
    for mode in ("good", "slow", "garbage"):
        register(provider_url, mode)
    budget = 1.0
    started = time.monotonic()
    results = call_hooks(
        hook="patient-view",
        context={"userId": "Practitioner/doc"},
        user=user,
        patient_id=chart.patient_id,
        timeout=budget,
    )
    elapsed = time.monotonic() - started
    assert elapsed < budget + 0.5, elapsed

    external = {
        (r.origin.rsplit("/", 1)[1], r.card["summary"] if r.card else r.error)
        for r in results
        if r.external
    }
    assert external == {
        ("good", "External advice"),
        (
            "good",
            "malformed card: cards[1].indicator must be one of info, warning, critical; "
            "cards[1].source is required and must have a label",
        ),
        ("slow", "no answer within 1 s"),
        ("garbage", "call failed: Expecting value: line 1 column 1 (char 0)"),
    }
    own = [r for r in results if not r.external]
    assert {r.service_id for r in own} == {"care-gaps"}  # a 60-year-old: Td/Tdap due
    assert results[-1].failed  # cards first, failures last

    _path, headers, body = next(
        r for r in FakeCdsProvider.received if r[0] == "/good/cds-services/svc"
    )
    assert body["prefetch"]["patient"]["id"] == chart.patient_id
    assert "nothing" not in body["prefetch"]  # no encounterId: the key is left out
    assert body["fhirServer"] and body["hookInstance"]
    token = jwt.JWT(
        jwt=headers["Authorization"].removeprefix("Bearer "),
        key=jwk.JWKSet.from_json(json.dumps(public_jwks())),
    )
    assert json.loads(token.claims)["aud"] == f"{provider_url}/good/cds-services/svc"


def test_feedback_goes_to_the_external_service(provider_url, chart, user):
    register(provider_url, "good")
    results = call_hooks(
        hook="patient-view",
        context={"userId": "Practitioner/doc"},
        user=user,
        patient_id=chart.patient_id,
    )
    good = next(r for r in results if r.external and r.card)
    assert send_feedback(
        result=good,
        outcome="overridden",
        user=user,
        override_reason={"code": "x", "display": "Not relevant"},
    )
    path, _, body = FakeCdsProvider.received[-1]
    assert path == "/good/cds-services/svc/feedback"
    (item,) = body["feedback"]
    assert item["card"] == GOOD_CARD["uuid"] and item["outcome"] == "overridden"
    assert item["overrideReason"] == {"reason": {"code": "x", "display": "Not relevant"}}


def test_a_failing_built_in_is_a_failure_entry(chart, user, monkeypatch):
    def broken(call):
        raise RuntimeError("boom")

    failing = dataclasses.replace(medication_safety.SERVICE, run=broken)
    monkeypatch.setattr("cds.client.all_services", lambda: [failing])
    aspirin = {
        **medication_request(chart.patient_id, "243670", "Aspirin 81 MG Oral Tablet"),
        "id": "d",
    }
    context = {"userId": "Practitioner/doc", "draftOrders": draft_bundle(aspirin)}
    results = call_hooks(hook="order-sign", context=context, user=user, patient_id=chart.patient_id)
    assert [(r.service_id, r.error) for r in results] == [("medication-safety", "it failed")]


def test_unreachable_provider_keeps_its_error(db):
    provider = ExternalCdsService.objects.create(title="gone", base_url="http://127.0.0.1:9")
    external_discovery_refresh(provider=provider)
    provider.refresh_from_db()
    assert provider.last_error and provider.services == []


def test_a_suggestion_is_applied_all_or_nothing(chart, user, repository):
    flag = {
        "resourceType": "Flag",
        "status": "active",
        "code": {"text": "Fall risk"},
        "subject": chart.subject,
    }
    broken = {**flag, "id": "x", "subject": {"reference": "Patient/no-such-patient"}}
    suggestion = {
        "label": "Flag and update",
        "actions": [
            {"type": "create", "description": "flag", "resource": flag},
            {"type": "update", "description": "refused", "resource": broken},
        ],
    }
    with pytest.raises(FhirError):
        apply_suggestion(suggestion=suggestion, user=user)
    assert flags(repository, chart) == []  # the create before it was rolled back
    suggestion["actions"].pop()
    response = apply_suggestion(suggestion=suggestion, user=user)
    assert response["type"] == "transaction-response"
    assert [f["code"]["text"] for f in flags(repository, chart)] == ["Fall risk"]


def flags(repository, chart) -> list[dict]:
    bundle = repository.search_bundle("Flag", [("patient", chart.patient_id)], base_url="")
    return [entry["resource"] for entry in bundle.get("entry") or []]


def test_registering_in_the_admin_fetches_discovery(provider_url, administrator, signed_in):
    response = signed_in(administrator).post(
        "/admin/cds/externalcdsservice/add/",
        {"title": "Good CDS", "base_url": f"{provider_url}/good", "enabled": "on"},
    )
    assert response.status_code == 302
    provider = ExternalCdsService.objects.get()
    assert [s["id"] for s in provider.services] == ["svc"] and provider.discovered_at


def test_beat_refreshes_every_provider(provider_url, settings, db):
    provider = ExternalCdsService.objects.create(title="good", base_url=f"{provider_url}/good")
    assert provider.services == []
    entry = settings.CELERY_BEAT_SCHEDULE["cds-external-refresh"]
    assert refresh_external_services.name == entry["task"]
    assert refresh_external_services.delay().get(timeout=10) == 1
    provider.refresh_from_db()
    assert [s["id"] for s in provider.services] == ["svc"]
