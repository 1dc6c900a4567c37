"""The account page and the second-factor pages (sign-in, sign-out and passwords are Django's
own views, with our templates in templates/registration/)."""

import django_otp
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from clinical.accounts.forms import TokenForm
from clinical.accounts.redirects import next_url
from clinical.accounts.second_factor import (
    second_factor_required,
    totp_enrol,
    totp_enrolment_device,
    totp_qr_svg,
    totp_secret,
    totp_verify,
)
from clinical.roles import user_roles

REFUSED = "That code was not accepted. Check the time on your phone and try the next code."


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "roles": user_roles(user),
        "has_device": django_otp.user_has_device(user),
        "second_factor_required": second_factor_required(user),
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    if not django_otp.user_has_device(request.user):
        return redirect(f"{reverse('second-factor-setup')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(next_url(request))
        form.add_error("token", REFUSED)
    return render(request, "accounts/second_factor_verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app; only while the user has none (a stolen password must not be
    enough to replace the device of someone who has one)."""
    if django_otp.user_has_device(request.user):
        return redirect("account")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_enrol(request=request, token=form.cleaned_data["token"]):
            return redirect(next_url(request))
        form.add_error("token", REFUSED)
    device = totp_enrolment_device(user=request.user)
    context = {
        "form": form,
        "qr_svg": totp_qr_svg(device),
        "secret": totp_secret(device),
        "otpauth_url": device.config_url,
    }
    return render(request, "accounts/second_factor_setup.html", context)
