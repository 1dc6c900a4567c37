"""SMART's rules for an authorization request, on top of OAuth2's (checked by oauthlib):

- `aud` must be this server's FHIR base URL;
- an EHR launch (`launch=<id>`) must name an unexpired launch of the signed-in user, whose patient
  (and encounter) become the context; the `launch` scope without a launch id is refused;
- a standalone launch asking for a patient (`launch/patient`, or any `patient/` scope) needs one
  picked by the user: `patient=<id>` once picked, else the picker is shown."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from fhirapi.smart.context import NO_CONTEXT, SmartContext
from fhirapi.smart.scopes import InvalidScope, parse_resource_scope
from fhirapi.smart.selectors import launch_for_authorization, patient_choice


class SmartAuthorizationError(Exception):
    """The request breaks a SMART rule; the message is the error_description sent back."""


@dataclass(frozen=True)
class AuthorizationCheck:
    context: SmartContext
    needs_patient: bool = False  # standalone launch: the user has still to pick a patient


def authorization_check(
    *,
    user: AbstractBaseUser,
    params: Mapping[str, str],
    scopes: Iterable[str],
    fhir_bases: set[str],
) -> AuthorizationCheck:
    scopes = list(scopes)
    aud = (params.get("aud") or "").rstrip("/")
    if aud not in fhir_bases:
        raise SmartAuthorizationError("aud must be this server's FHIR base URL")
    launch_id = params.get("launch")
    if launch_id:
        launch = launch_for_authorization(launch_id=launch_id, user=user)
        if launch is None:
            raise SmartAuthorizationError("the launch is unknown, expired or another user's")
        return AuthorizationCheck(SmartContext(launch.patient_id, launch.encounter_id))
    if "launch" in scopes:
        raise SmartAuthorizationError(
            "the launch scope needs the launch parameter of an EHR launch"
        )
    if not wants_patient(scopes):
        return AuthorizationCheck(NO_CONTEXT)
    patient_id = params.get("patient")
    if not patient_id:
        return AuthorizationCheck(NO_CONTEXT, needs_patient=True)
    if patient_choice(user=user, patient_id=patient_id) is None:
        raise SmartAuthorizationError("the chosen patient is not known")
    return AuthorizationCheck(SmartContext(patient_id=patient_id))


def wants_patient(scopes: list[str]) -> bool:
    return "launch/patient" in scopes or any(_is_patient_scope(scope) for scope in scopes)


def _is_patient_scope(scope: str) -> bool:
    try:
        parsed = parse_resource_scope(scope)
    except InvalidScope:
        return False
    return parsed is not None and parsed.level == "patient"
