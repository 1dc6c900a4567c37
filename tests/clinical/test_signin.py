"""Signing in and out: the pages, the audit trail, lock-out, idle expiry, password reset."""

import time

import pytest
from django.core import mail
from django.test import Client

from clinical.accounts.middleware import LAST_ACTIVITY
from fhirapi.audit.models import AuditRecord
from tests.conftest import CAST_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_sign_in_lands_on_the_account_page_and_is_audited(physician):
    client = Client(REMOTE_ADDR="10.1.2.3")
    response = sign_in(client, physician.username, CAST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    record = AuditRecord.objects.get(subtype="login")
    assert (record.username, record.outcome, record.source_ip) == (
        physician.username,
        "0",
        "10.1.2.3",
    )
    assert record.content["subtype"][0]["code"] == "110122"
    assert client.get("/accounts/").status_code == 200


def test_failed_sign_in_is_audited_with_the_name_tried(physician):
    response = sign_in(Client(), physician.username, "wrong password")
    assert response.status_code == 200
    assert "correct username and password" in response.text
    record = AuditRecord.objects.get(subtype="login")
    assert (record.username, record.outcome, record.action) == (physician.username, "4", "E")


def test_sign_out_is_audited_and_ends_the_session(signed_in, nurse):
    client = signed_in(nurse)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert AuditRecord.objects.filter(subtype="logout", username=nurse.username).exists()
    assert client.get("/accounts/").status_code == 302


def test_repeated_failures_lock_the_account_from_that_address(settings, physician):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert sign_in(client, physician.username, "wrong").status_code == 200
    assert sign_in(client, physician.username, "wrong").status_code == 429
    locked = sign_in(client, physician.username, CAST_PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert not AuditRecord.objects.filter(subtype="login", outcome="0").exists()
    other_address = Client(REMOTE_ADDR="10.9.9.9")
    assert sign_in(other_address, physician.username, CAST_PASSWORD).status_code == 302


def test_an_idle_session_is_signed_out(settings, signed_in, physician):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client = signed_in(physician)
    assert client.get("/accounts/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 31 * 60
    session.save()
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    record = AuditRecord.objects.get(subtype="logout")
    assert record.content["outcomeDesc"] == "signed out after inactivity"


def test_an_active_session_stays(signed_in, physician):
    client = signed_in(physician)
    client.get("/accounts/")
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 29 * 60
    session.save()
    assert client.get("/accounts/").status_code == 200


def test_password_reset_mails_a_link_that_sets_a_new_password(anonymous_client, pharmacist):
    response = anonymous_client.post("/accounts/password_reset/", {"email": pharmacist.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    form = anonymous_client.get(link.split("testserver")[1], follow=True)
    assert form.status_code == 200
    new_password = "a-new-longer-password-42"
    done = anonymous_client.post(
        form.request["PATH_INFO"], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    pharmacist.refresh_from_db()
    assert pharmacist.check_password(new_password)


def test_password_change_needs_the_old_password(signed_in, front_desk):
    client = signed_in(front_desk)
    assert client.get("/accounts/password_change/").status_code == 200
    new_password = "another-longer-password-7"
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": CAST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password(new_password)


def test_pages_carry_the_security_headers(anonymous_client):
    response = anonymous_client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_session_cookie_is_http_only_and_same_site(physician):
    client = Client()
    sign_in(client, physician.username, CAST_PASSWORD)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_fhir_answers_carry_the_api_policy(anonymous_client):
    policy = anonymous_client.get("/fhir/metadata")["Content-Security-Policy"]
    assert policy == "default-src 'none'; frame-ancestors 'none'"
