"""CORS: browser apps may call the API from the origin of their registered redirect URI."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def preflight(path: str, origin: str):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


@pytest.mark.parametrize("path", ["/fhir/Patient", "/auth/token"])
def test_a_registered_apps_origin_is_allowed(app, path):
    response = preflight(path, "http://127.0.0.1:9753")
    assert response["Access-Control-Allow-Origin"] == "http://127.0.0.1:9753"
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_other_origins_are_not(app):
    response = preflight("/fhir/Patient", "http://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_the_authorization_page_is_never_cross_origin(app):
    response = preflight("/auth/authorize", "http://127.0.0.1:9753")
    assert "Access-Control-Allow-Origin" not in response
