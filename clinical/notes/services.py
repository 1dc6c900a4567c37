"""Notes are DocumentReferences holding the text as a plain-text attachment. A draft
(docStatus preliminary) is the author's to change; signing makes it final and immutable; an
amendment is a new note that `replaces` the old, which becomes superseded when it is signed."""

import base64
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinical.fhir.codes import DOCUMENT_CATEGORY, LOINC
from clinical.fhir.practitioners import practitioner_ensure, practitioner_id
from clinical.fhir.reads import Resource, reference_id, repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.notes.note_templates import NOTE_TYPES
from clinical.roles import EDIT_CHART

SIGNED = ("final", "amended")


def _content(text: str, title: str, when: str) -> list[dict[str, Any]]:
    return [
        {
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                "title": title,
                "creation": when,
            }
        }
    ]


def _require_author(user: AbstractBaseUser, document: Resource) -> None:
    authors = {reference_id(a, "Practitioner") for a in document.get("author") or []}
    if practitioner_id(user) not in authors:
        raise PermissionDenied("Only the author may change or sign a draft note.")


@transaction.atomic
def note_save(
    *,
    patient_id: str,
    document: Resource | None,
    title: str,
    type_code: str,
    text: str,
    sign: bool,
    encounter_id: str | None,
    acting_user: AbstractBaseUser,
    replaces: Resource | None = None,
) -> str:
    """Create a draft (document None) or change one; `sign` makes it final. Returns its id."""
    require_permission(acting_user, EDIT_CHART, "write notes")
    if sign and not text.strip():
        raise ValidationError("An empty note cannot be signed.")
    repository = repository_for(acting_user)
    author = practitioner_ensure(user=acting_user, repository=repository)
    if document is not None:
        _require_author(acting_user, document)
        if document.get("docStatus") in SIGNED:
            raise ValidationError("A signed note cannot change: amend it instead.")
        replaces_id = next(
            (
                reference_id(r.get("target"), "DocumentReference")
                for r in document.get("relatesTo") or []
                if r.get("code") == "replaces"
            ),
            None,
        )
        if replaces_id:
            replaces = repository.read("DocumentReference", replaces_id).content
    now = now_instant()
    note: dict[str, Any] = {
        **(document or {}),
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final" if sign else "preliminary",
        "type": {
            "coding": [{"system": LOINC, "code": type_code, "display": NOTE_TYPES[type_code]}],
            "text": NOTE_TYPES[type_code],
        },
        "category": [
            {
                "coding": [
                    {
                        "system": DOCUMENT_CATEGORY,
                        "code": "clinical-note",
                        "display": "Clinical Note",
                    }
                ]
            }
        ],
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": now,
        "author": [author],
        "description": title,
        "content": _content(text, title, now),
    }
    if sign:
        note["authenticator"] = author
    if encounter_id and "context" not in note:
        note["context"] = {"encounter": [{"reference": f"Encounter/{encounter_id}"}]}
    if replaces is not None:
        note["relatesTo"] = [
            {"code": "replaces", "target": {"reference": f"DocumentReference/{replaces['id']}"}}
        ]
    entries = [_entry(note, document)]
    if sign and replaces is not None:
        entries.append(
            {
                "resource": {**replaces, "status": "superseded"},
                "request": {"method": "PUT", "url": f"DocumentReference/{replaces['id']}"},
            }
        )
    response = repository.transaction(
        {"resourceType": "Bundle", "type": "transaction", "entry": entries},
        base_url=settings.FHIR_BASE_URL,
    )
    location = (response["entry"][0].get("response") or {}).get("location", "")
    note_id = location.split("/")[1]
    what = "signed" if sign else "draft saved"
    audit_write(
        user=acting_user,
        action="create" if document is None else "update",
        patient_id=patient_id,
        reference=f"DocumentReference/{note_id}",
        description=f"note {what}: {title}",
    )
    if sign and replaces is not None:
        audit_write(
            user=acting_user,
            action="update",
            patient_id=patient_id,
            reference=f"DocumentReference/{replaces['id']}",
            description=f"note superseded by amendment DocumentReference/{note_id}",
        )
    return note_id


def _entry(note: dict[str, Any], document: Resource | None) -> dict[str, Any]:
    if document is None:
        return {
            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
            "resource": note,
            "request": {"method": "POST", "url": "DocumentReference"},
        }
    return {
        "resource": note,
        "request": {
            "method": "PUT",
            "url": f"DocumentReference/{document['id']}",
            "ifMatch": f'W/"{document["meta"]["versionId"]}"',
        },
    }


@transaction.atomic
def note_amend_start(*, patient_id: str, document: Resource, acting_user: AbstractBaseUser) -> str:
    """Start an amendment of a signed note: a draft copy that will replace it when signed."""
    require_permission(acting_user, EDIT_CHART, "write notes")
    if document.get("docStatus") not in SIGNED or document.get("status") != "current":
        raise ValidationError("Only a signed, current note can be amended.")
    from clinical.notes.selectors import note_row

    row = note_row(document)
    return note_save(
        patient_id=patient_id,
        document=None,
        title=f"{row.title} (amended)" if "(amended)" not in row.title else row.title,
        type_code=row.type_code if row.type_code in NOTE_TYPES else "11506-3",
        text=row.text,
        sign=False,
        encounter_id=None,
        acting_user=acting_user,
        replaces=document,
    )
