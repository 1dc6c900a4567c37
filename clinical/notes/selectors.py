import base64
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import concept_text, parse_datetime
from clinical.fhir.reads import Resource, belongs_to, read, reference_id, search


@dataclass(frozen=True)
class NoteRow:
    note_id: str
    title: str
    type_label: str
    type_code: str
    author: str
    author_id: str
    date: datetime | None
    doc_status: str
    status: str
    text: str
    replaces: str
    version: str

    @property
    def signed(self) -> bool:
        return self.doc_status in ("final", "amended")

    @property
    def draft(self) -> bool:
        return not self.signed and self.status == "current"


def note_text(document: Resource) -> str:
    for content in document.get("content") or []:
        attachment = content.get("attachment") or {}
        if attachment.get("data") and str(attachment.get("contentType", "")).startswith("text/"):
            try:
                return base64.b64decode(attachment["data"]).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return ""
    return ""


def note_row(document: Resource) -> NoteRow:
    authors = document.get("author") or [{}]
    replaces = next(
        (
            reference_id(r.get("target"), "DocumentReference") or ""
            for r in document.get("relatesTo") or []
            if r.get("code") == "replaces"
        ),
        "",
    )
    type_coding = ((document.get("type") or {}).get("coding") or [{}])[0]
    return NoteRow(
        note_id=document["id"],
        title=document.get("description") or concept_text(document.get("type"), "Note"),
        type_label=concept_text(document.get("type"), "Note"),
        type_code=type_coding.get("code", ""),
        author=authors[0].get("display", "") or authors[0].get("reference", ""),
        author_id=reference_id(authors[0], "Practitioner") or "",
        date=parse_datetime(document.get("date")),
        doc_status=document.get("docStatus", ""),
        status=document.get("status", ""),
        text=note_text(document),
        replaces=replaces,
        version=(document.get("meta") or {}).get("versionId", ""),
    )


def patient_notes(*, user: AbstractBaseUser, patient_id: str, author_id: str = "") -> list[NoteRow]:
    params = [("patient", patient_id), ("_sort", "-date")]
    if author_id:
        params.append(("author", f"Practitioner/{author_id}"))
    found = search(user, "DocumentReference", params, count=200)
    return [note_row(d) for d in found if d.get("status") != "entered-in-error"]


def note_authors(*, user: AbstractBaseUser, patient_id: str) -> list[tuple[str, str]]:
    rows = patient_notes(user=user, patient_id=patient_id)
    return sorted({(r.author_id, r.author) for r in rows if r.author_id}, key=lambda a: a[1])


def patient_note(*, user: AbstractBaseUser, patient_id: str, note_id: str) -> Resource | None:
    document = read(user, "DocumentReference", note_id)
    return document if belongs_to(document, patient_id) else None
