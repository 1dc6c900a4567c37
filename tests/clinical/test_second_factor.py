"""The TOTP second factor: optional per user, required for a role when its policy says so."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinical.accounts.models import RolePolicy
from fhirapi.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(value).zfill(device.digits)


def require_second_factor(role_name: str) -> None:
    RolePolicy.objects.filter(group__name=role_name).update(require_second_factor=True)


def test_a_user_with_a_device_enters_a_code_before_any_page(settings, signed_in, nurse):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off after the wrong code
    device = TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    client = signed_in(nurse)
    held = client.get("/accounts/")
    assert held.status_code == 302
    assert held["Location"] == "/accounts/second-factor/?next=/accounts/"
    refused = client.post("/accounts/second-factor/?next=/accounts/", {"token": "000000"})
    assert "not accepted" in refused.text
    passed = client.post("/accounts/second-factor/", {"token": code(device), "next": "/accounts/"})
    assert passed.status_code == 302
    assert passed["Location"] == "/accounts/"
    assert client.get("/accounts/").status_code == 200
    outcomes = list(
        AuditRecord.objects.filter(subtype="login").order_by("pk").values_list("outcome", flat=True)
    )
    assert outcomes[-2:] == ["4", "0"]


def test_without_device_or_policy_no_code_is_asked(signed_in, nurse):
    assert signed_in(nurse).get("/accounts/").status_code == 200


def test_a_role_that_requires_it_makes_its_members_enrol(signed_in, physician, nurse):
    require_second_factor("physician")
    client = signed_in(physician)
    held = client.get("/admin/")
    assert held.status_code == 302
    assert held["Location"].startswith("/accounts/second-factor/setup/?next=")
    setup = client.get(held["Location"])
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=physician, confirmed=False)
    assert re.search(r"<svg[^>]*>", setup.text)
    assert "otpauth://totp/" in setup.text
    enrolled = client.post(
        "/accounts/second-factor/setup/", {"token": code(device), "next": "/accounts/"}
    )
    assert enrolled.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/accounts/").status_code == 200
    assert signed_in(nurse).get("/accounts/").status_code == 200  # other roles unaffected


def test_the_api_by_session_waits_for_the_code(signed_in, physician):
    require_second_factor("physician")
    client = signed_in(physician)
    assert client.get("/fhir/Patient").status_code == 401


def test_setup_is_closed_once_a_device_is_confirmed(signed_in, pharmacist):
    device = TOTPDevice.objects.create(user=pharmacist, name="phone", confirmed=True)
    client = signed_in(pharmacist)
    client.post("/accounts/second-factor/", {"token": code(device)})
    response = client.get("/accounts/second-factor/setup/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert not TOTPDevice.objects.filter(user=pharmacist, confirmed=False).exists()
