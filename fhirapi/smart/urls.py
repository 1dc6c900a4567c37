"""The SMART authorization server's routes, mounted at the site root. The namespace is
django-oauth-toolkit's, whose views reverse these names."""

from django.urls import path, re_path
from oauth2_provider import views as oauth2_views

from fhirapi.smart import views

app_name = "oauth2_provider"

urlpatterns = [
    path(
        ".well-known/smart-configuration",
        views.smart_configuration_view,
        name="smart-configuration",
    ),
    path(
        "fhir/.well-known/smart-configuration",
        views.smart_configuration_view,
        name="fhir-smart-configuration",
    ),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        oauth2_views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("auth/authorize", views.SmartAuthorizationView.as_view(), name="authorize"),
    path("auth/token", oauth2_views.TokenView.as_view(), name="token"),
    path("auth/introspect", views.SmartIntrospectView.as_view(), name="introspect"),
    path("auth/revoke", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("auth/jwks", oauth2_views.JwksInfoView.as_view(), name="jwks-info"),
    path("auth/userinfo", oauth2_views.UserInfoView.as_view(), name="user-info"),
]
