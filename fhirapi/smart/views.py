"""The SMART authorization server's own pages and documents; token issue, revocation and the
JWK Set are django-oauth-toolkit's views (see urls.py)."""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749 import errors

from fhirapi.rest.responses import fhir_base
from fhirapi.smart.authorization import (
    AuthorizationCheck,
    SmartAuthorizationError,
    authorization_check,
)
from fhirapi.smart.context import context_of
from fhirapi.smart.discovery import smart_configuration
from fhirapi.smart.forms import SMART_FIELDS, SmartAllowForm
from fhirapi.smart.practitioners import fhir_user_url
from fhirapi.smart.selectors import (
    access_token_by_value,
    patient_choice,
    patient_choices,
)

CSRF_FIELD = "csrfmiddlewaretoken"


@login_not_required
def smart_configuration_view(request: HttpRequest) -> JsonResponse:
    """GET /.well-known/smart-configuration (also under /fhir): always JSON, for anyone."""
    response = JsonResponse(smart_configuration(request))
    response["Access-Control-Allow-Origin"] = "*"
    return response


@method_decorator(csrf_exempt, name="dispatch")  # consent submissions are checked in post()
class SmartAuthorizationView(AuthorizationView):
    """The authorization endpoint: SMART's checks (aud, launch, patient picking) around
    django-oauth-toolkit's consent flow. Takes the request by GET or, with `authorize-post`, by a
    form POST; a POST carrying the consent form's CSRF token is the user's answer."""

    template_name = "smart/authorize.html"
    form_class = SmartAllowForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        try:
            self.smart = self._check(request, scopes, credentials)
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        if self.smart.needs_patient:
            return self._patient_picker(request, application)
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if CSRF_FIELD not in request.POST:
            return self.get(request, *args, **kwargs)
        return csrf_protect(super().post)(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        params = _params(self.request)
        return {**super().get_initial(), **{name: params.get(name) for name in SMART_FIELDS}}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        smart = getattr(self, "smart", None)
        if smart is not None and smart.context.patient_id:
            context["patient"] = patient_choice(
                user=self.request.user, patient_id=smart.context.patient_id
            )
        return context

    def create_authorization_response(self, request, scopes, credentials, allow):
        if allow:
            check = self._check(request, scopes.split(), credentials)
            if check.needs_patient:
                raise _invalid_request("no patient was chosen", credentials)
            credentials["smart_context"] = check.context
        return super().create_authorization_response(request, scopes, credentials, allow)

    def _check(
        self, request: HttpRequest, scopes: list[str], credentials: dict[str, Any]
    ) -> AuthorizationCheck:
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        if not application.redirect_uri_allowed(credentials["redirect_uri"]):
            raise FatalClientError(error=errors.MismatchingRedirectURIError())
        try:
            return authorization_check(
                user=request.user,
                params=_params(request),
                scopes=scopes,
                fhir_bases={settings.FHIR_BASE_URL.rstrip("/"), fhir_base(request)},
            )
        except SmartAuthorizationError as exc:
            raise _invalid_request(str(exc), credentials) from None

    def _patient_picker(self, request: HttpRequest, application: Any) -> HttpResponse:
        params = _params(request).copy()
        name = params.pop("patient_name", [""])[0]
        params.pop("patient", None)
        choices = patient_choices(user=request.user, name=name)
        query = params.urlencode()
        return render(
            request,
            "smart/patient_picker.html",
            {
                "application": application,
                "name": name,
                "params": [(key, value) for key in params for value in params.getlist(key)],
                "choices": [
                    (choice, f"?{query}&{urlencode({'patient': choice.id})}") for choice in choices
                ],
            },
        )


def _params(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _invalid_request(description: str, credentials: dict[str, Any]) -> OAuthToolkitError:
    error = errors.InvalidRequestError(description=description, state=credentials.get("state"))
    return OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class SmartIntrospectView(OAuthLibMixin, View):
    """Token introspection (RFC 7662) with SMART's fields: the launch context, and `iss`, `sub`
    and `fhirUser` when an id token was issued. The caller authenticates as a client (secret or
    private_key_jwt) or with a valid access token of its own."""

    def post(self, request: HttpRequest) -> JsonResponse:
        if not (self.authenticate_client(request) or _holds_valid_token(request)):
            return JsonResponse(
                {"error": "invalid_client"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="introspect"'},
            )
        token = request.POST.get("token")
        if not token:
            return JsonResponse(
                {"error": "invalid_request", "error_description": "the token parameter is missing"},
                status=400,
            )
        return JsonResponse(introspection(request, token))


def _holds_valid_token(request: HttpRequest) -> bool:
    keyword, _, value = request.headers.get("Authorization", "").partition(" ")
    if keyword.lower() != "bearer" or not value:
        return False
    access = access_token_by_value(value.strip())
    return access is not None and not access.is_expired()


def introspection(request: HttpRequest, token: str) -> dict[str, Any]:
    access = access_token_by_value(token)
    if access is None or access.is_expired():
        return {"active": False}
    data: dict[str, Any] = {
        "active": True,
        "token_type": "Bearer",
        "scope": access.scope,
        "client_id": access.application.client_id if access.application else None,
        "exp": int(access.expires.timestamp()),
        **context_of(getattr(access, "smart_context", None)).token_response(),
    }
    if access.user is not None:
        data["username"] = access.user.get_username()
        if access.id_token_id is not None:
            data["iss"] = oauth2_settings.oidc_issuer(request)
            data["sub"] = str(access.user.pk)
            data["fhirUser"] = fhir_user_url(access.user, origin=request.build_absolute_uri("/"))
    return data
