"""The API's per-user rate limit: 429 with Retry-After as an OperationOutcome."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_minute(settings, monkeypatch):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    monkeypatch.setattr(
        "fhirapi.rest.throttling.time.time", lambda: 1_000_040.0
    )  # 20 s into a minute
    cache.clear()
    yield
    cache.clear()


def test_a_user_past_the_limit_gets_429(api, two_per_minute):
    for _ in range(2):
        assert api.fhir("GET", "/fhir/Patient/unknown").status_code == 404
    response = api.fhir("GET", "/fhir/Patient/unknown")
    assert response.status_code == 429
    assert response["Retry-After"] == "41"
    body = response.json()
    assert (body["resourceType"], body["issue"][0]["code"]) == ("OperationOutcome", "throttled")


def test_users_are_counted_apart(api, physician, two_per_minute):
    for _ in range(3):
        api.fhir("GET", "/fhir/Patient/unknown")
    other = APIClient()
    other.force_authenticate(physician)
    assert other.get("/fhir/Patient/unknown").status_code == 404


def test_anonymous_callers_are_counted_by_address(two_per_minute):
    client = APIClient()
    assert [client.get("/fhir/metadata").status_code for _ in range(3)] == [200, 200, 429]
    assert APIClient(REMOTE_ADDR="10.0.0.8").get("/fhir/metadata").status_code == 200


def test_zero_turns_the_limit_off(api, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    assert all(api.fhir("GET", "/fhir/metadata").status_code == 200 for _ in range(5))
