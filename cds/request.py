"""A CDS Hooks 2.0 service request: parsed and checked against the spec, so services get a value
they can trust. Anything the spec forbids raises CdsRequestError with a message that says what."""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cds.hooks import accepted_hooks, context_errors, normalized_context

OPERATION_OUTCOME = "OperationOutcome"


class CdsRequestError(Exception):
    """The request breaks the CDS Hooks spec (400)."""


@dataclass(frozen=True)
class FhirAuthorization:
    access_token: str
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


@dataclass(frozen=True)
class CdsRequest:
    hook: str
    hook_instance: str
    context: dict[str, Any]
    prefetch: dict[str, Any] = field(default_factory=dict)
    fhir_server: str | None = None
    fhir_authorization: FhirAuthorization | None = None
    extension: dict[str, Any] | None = None

    @property
    def patient_id(self) -> str | None:
        return self.context.get("patientId")


def parse_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CdsRequestError(f"the body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CdsRequestError("the body must be a JSON object")
    return data


def parse_request(data: dict[str, Any], *, service_hooks: tuple[str, ...]) -> CdsRequest:
    """Check a request body for a service declared on `service_hooks`."""
    hook = _required_string(data, "hook")
    if hook not in accepted_hooks(service_hooks):
        raise CdsRequestError(
            f"this service is invoked on {' or '.join(service_hooks)}, not on {hook!r}"
        )
    hook_instance = _required_string(data, "hookInstance")
    try:
        uuid.UUID(hook_instance)
    except ValueError:
        raise CdsRequestError("hookInstance must be a UUID") from None
    context = data.get("context")
    if not isinstance(context, dict):
        raise CdsRequestError("context is required and must be a JSON object")
    if errors := context_errors(hook, context):
        raise CdsRequestError("; ".join(errors))
    fhir_server = _fhir_server(data.get("fhirServer"))
    authorization = _fhir_authorization(data.get("fhirAuthorization"))
    if authorization is not None and fhir_server is None:
        raise CdsRequestError("fhirServer is required when fhirAuthorization is given")
    return CdsRequest(
        hook=hook,
        hook_instance=hook_instance,
        context=normalized_context(hook, context),
        prefetch=_prefetch(data.get("prefetch")),
        fhir_server=fhir_server,
        fhir_authorization=authorization,
        extension=_extension(data.get("extension")),
    )


def _required_string(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise CdsRequestError(f"{name} is required and must be a non-empty string")
    return value


def _fhir_server(value: Any) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise CdsRequestError("fhirServer must be an absolute http(s) URL")
    return value.rstrip("/")


def _fhir_authorization(value: Any) -> FhirAuthorization | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CdsRequestError("fhirAuthorization must be a JSON object")
    for name in ("access_token", "token_type", "scope", "subject"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise CdsRequestError(f"fhirAuthorization.{name} is required and must be a string")
    if value["token_type"].lower() != "bearer":
        raise CdsRequestError("fhirAuthorization.token_type must be 'Bearer'")
    expires_in = value.get("expires_in")
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in < 0:
        raise CdsRequestError("fhirAuthorization.expires_in is required and must be an integer")
    patient = value.get("patient")
    if patient is not None and not isinstance(patient, str):
        raise CdsRequestError("fhirAuthorization.patient must be a string")
    return FhirAuthorization(
        access_token=value["access_token"],
        token_type=value["token_type"],
        expires_in=expires_in,
        scope=value["scope"],
        subject=value["subject"],
        patient=patient,
    )


def _prefetch(value: Any) -> dict[str, Any]:
    """Prefetched data by key. A key whose value is an OperationOutcome (the client could not
    fetch it) or not a resource counts as not sent, so the service fetches it itself;
    null means "no data" and is kept."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CdsRequestError("prefetch must be a JSON object")
    return {
        key: data
        for key, data in value.items()
        if data is None
        or (isinstance(data, dict) and data.get("resourceType") not in (None, OPERATION_OUTCOME))
    }


def _extension(value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise CdsRequestError("extension must be a JSON object")
    return value
