"""The optional TOTP second factor (django-otp), required for the roles whose policy says so.

A user who has a confirmed authenticator device, or who holds a role that requires one, must
enter a code after the password before any page (or API call by session) is served; someone
required to but not yet enrolled is sent to set up a device first.
"""

import base64

import django_otp
import segno
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from fhirapi.audit.events import LOGIN
from fhirapi.audit.services import MINOR_FAILURE, audit_record

DEVICE_NAME = "Authenticator app"


def second_factor_required(user: AbstractBaseUser) -> bool:
    return Group.objects.filter(user=user, policy__require_second_factor=True).exists()


def second_factor_needed(user: AbstractBaseUser) -> bool:
    """Must this signed-in user enter a code before going on?"""
    return django_otp.user_has_device(user) or second_factor_required(user)


def totp_enrolment_device(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed device to enrol (made on first call, the same one after)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG QR code (no image request, no inline script)."""
    return mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4, border=2))


def totp_enrol(*, request: HttpRequest, token: str) -> bool:
    """Confirm the enrolment device with a first code; the session then counts as verified."""
    device = totp_enrolment_device(user=request.user)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    django_otp.login(request, device)
    audit_record(
        kind=LOGIN, username=request.user.get_username(), description="second factor set up"
    )
    return True


def totp_verify(*, request: HttpRequest, token: str) -> bool:
    """Check a code against the user's devices; audited either way."""
    user = request.user
    with transaction.atomic():  # devices locked for update: throttling holds under concurrency
        devices = django_otp.devices_for_user(user, confirmed=True, for_verify=True)
        device = next((d for d in devices if d.verify_token(token)), None)
    if device is None:
        audit_record(
            kind=LOGIN,
            username=user.get_username(),
            outcome=MINOR_FAILURE,
            description="second factor refused",
        )
        return False
    django_otp.login(request, device)
    audit_record(kind=LOGIN, username=user.get_username(), description="second factor verified")
    return True
