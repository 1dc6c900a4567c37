"""Session rules for signed-in browser users: idle expiry, then the second factor."""

import time

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from clinical.accounts.second_factor import second_factor_needed

LAST_ACTIVITY = "wintehr_last_activity"
ACTIVITY_RESOLUTION_SECONDS = 60  # the session is written at most once a minute for activity
SECOND_FACTOR_EXEMPT = frozenset({"second-factor-verify", "second-factor-setup", "logout"})


class IdleTimeoutMiddleware:
    """Signs out a session idle for longer than SESSION_IDLE_TIMEOUT_MINUTES. Install after
    AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session and session_went_idle(request):
            request.signout_reason = "signed out after inactivity"  # read by the audit receiver
            logout(request)
            messages.info(request, "You were signed out after a period of inactivity.")
        return self.get_response(request)


def session_went_idle(request: HttpRequest) -> bool:
    now = time.time()
    last = request.session.get(LAST_ACTIVITY)
    if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
        return True
    if last is None or now - last > ACTIVITY_RESOLUTION_SECONDS:
        request.session[LAST_ACTIVITY] = now
    return False


class SecondFactorMiddleware:
    """Holds back a session user who must enter a code (clinical/accounts/second_factor.py):
    pages redirect to the code (or device set-up) page, API views see no signed-in user.
    Install after django_otp's OTPMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.url_name in SECOND_FACTOR_EXEMPT:
            return None
        if not second_factor_needed(user):
            return None
        if hasattr(view_func, "cls"):  # a REST framework view: answers 401 by itself
            request.user = AnonymousUser()
            return None
        page = "second-factor-verify" if django_otp.user_has_device(user) else "second-factor-setup"
        return redirect_to_login(request.get_full_path(), reverse(page))
