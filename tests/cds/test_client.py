"""The workspace's client against real HTTP services: good, slow and broken ones."""

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jwcrypto import jwk, jwt

from cds.client import call_hooks, send_feedback
from cds.client_signing import public_jwks
from cds.external import external_discovery_refresh
from cds.models import ExternalCdsService
from cds.services import medication_safety
from tests.cds.fhir_builders import draft_bundle, medication_request

GOOD_CARD = {
    "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
    "summary": "External advice",
    "indicator": "info",
    "source": {"label": "Example CDS"},
}
SLOW_SECONDS = 3.0


class FakeCdsProvider(BaseHTTPRequestHandler):
    """/good, /slow and /garbage providers, each with one patient-view service `svc`."""

    received: list = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        mode = self.path.split("/")[1]
        service = {
            "hook": "patient-view",
            "id": "svc",
            "title": f"{mode} service",
            "description": "test",
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "nothing": "Encounter/{{context.encounterId}}",
            },
        }
        self._send(200, {"services": [service, {"hook": "no-such-hook", "id": "x"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeCdsProvider.received.append((self.path, dict(self.headers), body))
        mode = self.path.split("/")[1]
        if self.path.endswith("/feedback"):
            self._send(200, {})
        elif mode == "good":
            self._send(200, {"cards": [GOOD_CARD, {"summary": "no indicator", "source": {}}]})
        elif mode == "slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, {"cards": [GOOD_CARD]})
        else:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>not json</html>")

    def _send(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except BrokenPipeError:
            pass  # the client gave up waiting (the slow service)


@pytest.fixture
def provider_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCdsProvider)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeCdsProvider.received = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def register(base: str, mode: str) -> ExternalCdsService:
    provider = ExternalCdsService.objects.create(title=mode, base_url=f"{base}/{mode}")
    external_discovery_refresh(provider=provider)
    provider.refresh_from_db()
    assert provider.last_error == "" and [s["id"] for s in provider.services] == ["svc"]
    return provider


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("dr-client")


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
