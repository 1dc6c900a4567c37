import pytest
from rest_framework.authtoken.models import Token

from cds.cards import response_errors
from tests.cds.fhir_builders import draft_bundle, medication_request
from tests.cds.helpers import hook_request, post_json

PATIENT_VIEW_CONTEXT = {"userId": "Practitioner/doc", "patientId": "p1"}


def test_discovery_lists_every_built_in_service_per_hook(client, db):
    response = client.get("/cds-services")
    assert response.status_code == 200
    entries = {(s["id"], s["hook"]) for s in response.json()["services"]}
    assert entries >= {
        ("care-gaps", "patient-view"),
        ("critical-results", "patient-view"),
        ("medication-safety", "order-select"),
        ("medication-safety", "order-sign"),
        ("discharge-readiness", "encounter-discharge"),
    }
    assert response["Access-Control-Allow-Origin"] == "*"


def test_preflight(client, db):
    response = client.options(
        "/cds-services/care-gaps", headers={"Origin": "https://sandbox.cds-hooks.org"}
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]


def test_call_with_prefetch_returns_valid_cards(client, open_cds, db):
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01"},
        "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        "hba1c": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        "bloodPressure": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        "immunizations": {"resourceType": "Bundle", "type": "searchset", "entry": []},
    }
    body = hook_request("patient-view", PATIENT_VIEW_CONTEXT, prefetch=prefetch)
    response = post_json(client, "/cds-services/care-gaps", body)
    assert response.status_code == 200, response.content
    assert response_errors(response.json()) == []
    assert len(response.json()["cards"]) == 3  # influenza, pneumococcal, Td/Tdap for a 75+ year old
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "must be a JSON object"),
        (
            {"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": {}},
            "hook is required",
        ),
        (
            {"hook": "patient-view", "hookInstance": "abc", "context": PATIENT_VIEW_CONTEXT},
            "hookInstance must be a UUID",
        ),
        (
            hook_request("order-sign", PATIENT_VIEW_CONTEXT),
            "invoked on patient-view, not on 'order-sign'",
        ),
        (
            hook_request("patient-view", {"userId": "Practitioner/doc"}),
            "context.patientId is required",
        ),
        (
            hook_request("patient-view", {"userId": "Device/1", "patientId": "p1"}),
            "context.userId must be",
        ),
        (
            hook_request("patient-view", PATIENT_VIEW_CONTEXT, prefetch=[]),
            "prefetch must be a JSON object",
        ),
        (
            hook_request("patient-view", PATIENT_VIEW_CONTEXT, fhirServer="ftp://x"),
            "fhirServer must be",
        ),
        (
            hook_request(
                "patient-view",
                PATIENT_VIEW_CONTEXT,
                fhirAuthorization={
                    "access_token": "t",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "s",
                    "subject": "c",
                },
            ),
            "fhirServer is required when fhirAuthorization",
        ),
        (
            hook_request(
                "patient-view",
                PATIENT_VIEW_CONTEXT,
                fhirServer="https://ehr.example/fhir",
                fhirAuthorization={
                    "access_token": "t",
                    "token_type": "MAC",
                    "expires_in": 300,
                    "scope": "s",
                    "subject": "c",
                },
            ),
            "token_type must be 'Bearer'",
        ),
    ],
)
def test_malformed_requests_are_refused_saying_why(client, open_cds, body, message):
    response = post_json(client, "/cds-services/care-gaps", body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_order_sign_needs_a_bundle_of_draft_orders(client, open_cds):
    body = hook_request("order-sign", {**PATIENT_VIEW_CONTEXT, "draftOrders": {"entry": []}})
    response = post_json(client, "/cds-services/medication-safety", body)
    assert response.status_code == 400
    assert response.json() == {"error": "context.draftOrders must be a FHIR Bundle"}


def test_unknown_service_wrong_method_and_unsigned_when_closed(client, open_cds, settings):
    body = hook_request("patient-view", PATIENT_VIEW_CONTEXT)
    missing = post_json(client, "/cds-services/no-such-service", body)
    assert missing.status_code == 404 and "no-such-service" in missing.json()["error"]
    wrong = client.get("/cds-services/care-gaps")
    assert wrong.status_code == 405 and wrong.json() == {"error": "use POST"}
    settings.CDS_HOOKS_ALLOW_UNSIGNED = False
    closed = post_json(client, "/cds-services/care-gaps", body)
    assert closed.status_code == 401
    assert closed.json() == {"error": "a JWT in 'Authorization: Bearer' is required"}


def test_missing_prefetch_without_a_fhir_server_is_412(client, open_cds):
    response = post_json(
        client, "/cds-services/care-gaps", hook_request("patient-view", PATIENT_VIEW_CONTEXT)
    )
    assert response.status_code == 412
    assert "fhirServer" in response.json()["error"]


def test_a_failing_service_answers_500_json(client, open_cds, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("cds.views.execute", broken)
    response = post_json(
        client, "/cds-services/care-gaps", hook_request("patient-view", PATIENT_VIEW_CONTEXT)
    )
    assert response.status_code == 500
    assert response.json() == {"error": "the CDS service failed"}


def test_missing_prefetch_is_fetched_from_our_own_server_with_the_token(
    client, open_cds, chart, physician
):
    chart.medication("855332", "Warfarin Sodium 5 MG Oral Tablet")
    token = Token.objects.create(user=physician)  # the token acts with its user's role
    aspirin = {
        **medication_request(chart.patient_id, "243670", "Aspirin 81 MG Oral Tablet"),
        "id": "d1",
    }
    context = {
        "userId": "Practitioner/doc",
        "patientId": chart.patient_id,
        "draftOrders": draft_bundle(aspirin),
    }
    body = hook_request(
        "order-sign",
        context,
        fhirServer=open_cds.FHIR_BASE_URL,
        fhirAuthorization={
            "access_token": token.key,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "wintehr",
        },
    )
    response = post_json(client, "/cds-services/medication-safety", body)
    assert response.status_code == 200, response.content
    assert [c["indicator"] for c in response.json()["cards"]] == ["warning"]
    body["fhirAuthorization"]["access_token"] = "not-a-token"
    refused = post_json(
        client, "/cds-services/medication-safety", {**body, "hookInstance": body["hookInstance"]}
    )
    assert refused.status_code == 412


def test_medication_prescribe_is_answered_over_http(client, open_cds, chart, physician):
    """The R4-era hook, with STU3's bare array of draft resources, reaches medication-safety."""
    chart.medication("855332", "Warfarin Sodium 5 MG Oral Tablet")
    aspirin = {
        **medication_request(chart.patient_id, "243670", "Aspirin 81 MG Oral Tablet"),
        "id": "d1",
    }
    context = {
        "userId": "Practitioner/doc",
        "patientId": chart.patient_id,
        "medications": [aspirin],
    }
    token = Token.objects.create(user=physician)
    authorization = {"access_token": token.key, "token_type": "Bearer", "expires_in": 300}
    body = hook_request(
        "medication-prescribe",
        context,
        fhirServer=open_cds.FHIR_BASE_URL,
        fhirAuthorization={**authorization, "scope": "user/*.read", "subject": "wintehr"},
    )
    response = post_json(client, "/cds-services/medication-safety", body)
    assert response.status_code == 200, response.content
    (card,) = response.json()["cards"]
    assert "Aspirin 81 MG Oral Tablet + Warfarin" in card["summary"]
    assert response["Access-Control-Allow-Origin"] == "*"
    refused = post_json(client, "/cds-services/care-gaps", {**body, "hookInstance": "x-1"})
    assert refused.status_code == 400 and "medication-prescribe" in refused.json()["error"]
