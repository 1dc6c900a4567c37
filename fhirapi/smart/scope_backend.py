"""django-oauth-toolkit's view of SMART scopes: what discovery advertises, and the words the
consent page shows for any scope (SMART scopes are a grammar, not a fixed list)."""

from typing import Any

from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings

from fhirapi.smart.scopes import PERMISSION_NAMES, InvalidScope, parse_resource_scope

CONTEXT_DESCRIPTIONS = {
    "openid": "Know who you are (OpenID Connect)",
    "fhirUser": "Know your FHIR record (Practitioner) as the signed-in user",
    "profile": "Know your name",
    "launch": "Open in the context of what you have open in the EHR",
    "launch/patient": "Know which patient is in context (you pick one if none is open)",
    "launch/encounter": "Know which encounter is in context",
    "offline_access": "Keep access after you sign out (a refresh token)",
    "online_access": "Keep access while you are signed in (a refresh token)",
}
LEVEL_DESCRIPTIONS = {
    "patient": "of the patient in context",
    "user": "you can access",
    "system": "on this server",
}
SUPPORTED_SCOPES = [
    *CONTEXT_DESCRIPTIONS,
    "patient/*.cruds",
    "patient/*.rs",
    "user/*.cruds",
    "user/*.rs",
    "system/*.cruds",
    "system/*.rs",
    "patient/*.read",
    "user/*.read",
    "system/*.read",
]


def supported_scopes() -> list[str]:
    if oauth2_settings.OIDC_ENABLED:
        return list(SUPPORTED_SCOPES)
    return [scope for scope in SUPPORTED_SCOPES if scope not in ("openid", "fhirUser")]


class ScopeDescriptions(dict):
    """Scope -> what it lets the app do, made up for any scope asked for."""

    def __missing__(self, scope: str) -> str:
        return describe_scope(scope)


def describe_scope(scope: str) -> str:
    if scope in CONTEXT_DESCRIPTIONS:
        return CONTEXT_DESCRIPTIONS[scope]
    try:
        parsed = parse_resource_scope(scope)
    except InvalidScope:
        parsed = None
    if parsed is None:
        return scope
    actions = [PERMISSION_NAMES[letter] for letter in "cruds" if letter in parsed.permissions]
    what = "all records" if parsed.resource_type == "*" else f"{parsed.resource_type} records"
    text = f"{', '.join(actions).capitalize()} {what} {LEVEL_DESCRIPTIONS[parsed.level]}"
    if parsed.constraints:
        text += " where " + " and ".join(f"{name} is {value}" for name, value in parsed.constraints)
    return text


class SmartScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return ScopeDescriptions()

    def get_available_scopes(self, application: Any = None, request: Any = None, *args, **kwargs):
        return supported_scopes()

    def get_default_scopes(self, application: Any = None, request: Any = None, *args, **kwargs):
        return []
