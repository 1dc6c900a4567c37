"""Reads for the authorization server. Patients and Practitioners are read from the store's
current records (`ResourceRecord`) until search can serve these lookups; the patients offered to
a user are those their FHIR policy lets them search (role, restricted charts: `user_actor`)."""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db.models.fields.json import KT
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.errors import Forbidden
from fhirapi.services import user_actor
from fhirapi.smart.models import Launch, SmartApp
from fhirapi.store.models import ResourceRecord

USER_IDENTIFIER_SYSTEM = "urn:wintehr:username"  # Practitioner.identifier linking an EHR user
PICKER_LIMIT = 50


@dataclass(frozen=True)
class PatientChoice:
    id: str
    display: str


def patient_choices(*, user: AbstractBaseUser, name: str = "") -> list[PatientChoice]:
    """Patients the user may pick at a standalone launch, optionally by (part of) a name; the
    listing is audited as a Patient search."""
    records = _patients_for(user).order_by("-last_updated")
    if name.strip():
        records = records.annotate(names=KT("content__name")).filter(names__icontains=name.strip())
    audit_record(
        kind=REST_KINDS["search-type"],
        username=user.get_username(),
        resource_type="Patient",
        query=f"name:contains={name.strip()}" if name.strip() else "",
        description="SMART standalone launch: patient picker",
    )
    return [_choice(record) for record in records[:PICKER_LIMIT]]


def patient_choice(*, user: AbstractBaseUser, patient_id: str) -> PatientChoice | None:
    """The patient, if the user may pick it (None too when it is hidden from them)."""
    record = _patients_for(user).filter(resource_id=patient_id).first()
    return _choice(record) if record is not None else None


def _patients_for(user: AbstractBaseUser):
    """The current Patients a search by the user finds: none without the right to search
    Patients, and none of the restricted charts closed to them."""
    policy = user_actor(user).policy
    try:
        policy.require("s", "Patient")
    except Forbidden:
        return ResourceRecord.objects.none()
    patients = ResourceRecord.objects.filter(resource_type="Patient", deleted=False)
    return patients.exclude(resource_id__in=policy.hidden_patients())


def _choice(record: ResourceRecord) -> PatientChoice:
    names = record.content.get("name") or [{}]
    name = names[0] if isinstance(names[0], dict) else {}
    parts = [*name.get("given", []), name.get("family", "")]
    display = name.get("text") or " ".join(part for part in parts if part)
    birth = record.content.get("birthDate")
    return PatientChoice(
        record.resource_id, f"{display or 'Unnamed'}{f', born {birth}' if birth else ''}"
    )


def launch_for_authorization(*, launch_id: str, user: AbstractBaseUser) -> Launch | None:
    """The user's own unexpired launch with this id."""
    return Launch.objects.filter(id=launch_id, user=user, expires__gt=timezone.now()).first()


def practitioner_id_for_user(user: AbstractBaseUser) -> str | None:
    """The Practitioner standing for an EHR user: one with identifier
    {system: urn:wintehr:username, value: <username>}."""
    identifier = [{"system": USER_IDENTIFIER_SYSTEM, "value": user.get_username()}]
    record = (
        ResourceRecord.objects.filter(
            resource_type="Practitioner", deleted=False, content__identifier__contains=identifier
        )
        .only("resource_id")
        .first()
    )
    return record.resource_id if record is not None else None


def access_token_by_value(token: str) -> AccessToken | None:
    """The access token with this value (tokens are stored only as their SHA-256)."""
    checksum = hashlib.sha256(token.encode()).hexdigest()
    return (
        AccessToken.objects.select_related("application__user", "user", "smart_context")
        .filter(token_checksum=checksum)
        .first()
    )


def smart_app_for_client(client_id: str) -> SmartApp | None:
    return (
        SmartApp.objects.select_related("application")
        .filter(application__client_id=client_id)
        .first()
    )


def origin_is_registered(origin: str) -> bool:
    """Whether `origin` (scheme://host[:port]) is that of a registered app's redirect URI."""
    uris = Application.objects.filter(smart__isnull=False).values_list("redirect_uris", flat=True)
    return any(_origin(uri) == origin for value in uris for uri in value.split())


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"
