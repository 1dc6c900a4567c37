"""Notes: templates, drafts, signing (immutable), amendment (replaces), list by author."""

import base64

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from clinical.notes.note_templates import soap_sections, soap_text
from clinical.notes.services import note_save
from fhirapi.services import FhirRepository
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db


def documents(patient_id: str) -> list[dict]:
    bundle = FhirRepository().search_bundle(
        "DocumentReference", [("patient", patient_id), ("_count", "50")], base_url=""
    )
    return [e["resource"] for e in bundle.get("entry", [])]


def text_of(document: dict) -> str:
    return base64.b64decode(document["content"][0]["attachment"]["data"]).decode()


def test_soap_text_round_trips():
    sections = {
        "subjective": "Cough",
        "objective": "T 38.1",
        "assessment": "Bronchitis",
        "plan": "Fluids",
    }
    assert soap_sections(soap_text(sections)) == sections
    assert soap_sections("Just a line") is None


def test_templates_prefill_the_editor(patient_id, as_physician):
    url = reverse("chart-note-new", kwargs={"patient_id": patient_id})
    soap = as_physician.get(url, {"template": "soap"}, **HTMX).content.decode()
    assert 'name="subjective"' in soap and 'name="plan"' in soap
    discharge = as_physician.get(url, {"template": "discharge"}, **HTMX).content.decode()
    assert "Hospital course:" in discharge and 'name="subjective"' not in discharge


def test_empty_note_is_refused(patient_id, as_physician):
    url = reverse("chart-note-new", kwargs={"patient_id": patient_id})
    html = as_physician.post(
        url, {"title": "x", "type_code": "11506-3", "soap": "True"}, **HTMX
    ).content.decode()
    assert "Write something in the note first." in html
    assert documents(patient_id) == []


def test_draft_save_then_sign_makes_it_final(patient_id, as_physician):
    url = reverse("chart-note-new", kwargs={"patient_id": patient_id})
    data = {
        "title": "Ward round",
        "type_code": "11506-3",
        "soap": "True",
        "subjective": "Better",
        "plan": "Home tomorrow",
    }
    saved = as_physician.post(url, {**data, "save": "1"}, **HTMX)
    assert "Draft saved." in saved.content.decode()
    [document] = documents(patient_id)
    assert document["docStatus"] == "preliminary"
    assert "Subjective:\nBetter" in text_of(document)
    note_url = saved["HX-Replace-Url"]
    signed = as_physician.post(note_url, {**data, "subjective": "Much better", "sign": "1"}, **HTMX)
    assert "Note signed." in signed.content.decode()
    [document] = documents(patient_id)
    assert document["docStatus"] == "final" and "authenticator" in document
    assert "Much better" in text_of(document)
    again = as_physician.post(note_url, {**data, "sign": "1"}, **HTMX).content.decode()
    assert "cannot change" in again


def test_only_the_author_edits_a_draft(patient_id, physician, nurse):
    note_id = note_save(
        patient_id=patient_id,
        document=None,
        title="Mine",
        type_code="11506-3",
        text="x",
        sign=False,
        encounter_id=None,
        acting_user=physician,
    )
    document = FhirRepository().read("DocumentReference", note_id).content
    with pytest.raises(PermissionDenied):
        note_save(
            patient_id=patient_id,
            document=document,
            title="Theirs",
            type_code="11506-3",
            text="y",
            sign=True,
            encounter_id=None,
            acting_user=nurse,
        )


def test_signed_note_cannot_change_in_the_service(patient_id, physician):
    note_id = note_save(
        patient_id=patient_id,
        document=None,
        title="Done",
        type_code="11506-3",
        text="x",
        sign=True,
        encounter_id=None,
        acting_user=physician,
    )
    document = FhirRepository().read("DocumentReference", note_id).content
    with pytest.raises(ValidationError):
        note_save(
            patient_id=patient_id,
            document=document,
            title="Done",
            type_code="11506-3",
            text="changed",
            sign=True,
            encounter_id=None,
            acting_user=physician,
        )


def test_amendment_replaces_the_signed_note(patient_id, physician, as_physician):
    original = note_save(
        patient_id=patient_id,
        document=None,
        title="Admission",
        type_code="34117-2",
        text="Wrong dose",
        sign=True,
        encounter_id=None,
        acting_user=physician,
    )
    amend = reverse("chart-note-amend", kwargs={"patient_id": patient_id, "note_id": original})
    started = as_physician.post(amend, **HTMX)
    assert "Amendment started" in started.content.decode()
    amendment_url = started["HX-Replace-Url"]
    data = {
        "title": "Admission (amended)",
        "type_code": "34117-2",
        "soap": "False",
        "text": "Right dose",
        "sign": "1",
    }
    as_physician.post(amendment_url, data, **HTMX)
    by_id = {d["id"]: d for d in documents(patient_id)}
    assert by_id[original]["status"] == "superseded" and text_of(by_id[original]) == "Wrong dose"
    [new] = [d for d in by_id.values() if d["id"] != original]
    assert new["docStatus"] == "final" and text_of(new) == "Right dose"
    assert new["relatesTo"] == [
        {"code": "replaces", "target": {"reference": f"DocumentReference/{original}"}}
    ]


def test_list_filters_by_author(patient_id, physician, nurse, as_physician):
    note_save(
        patient_id=patient_id,
        document=None,
        title="Doctor's",
        type_code="11506-3",
        text="a",
        sign=True,
        encounter_id=None,
        acting_user=physician,
    )
    note_save(
        patient_id=patient_id,
        document=None,
        title="Nurse's",
        type_code="11506-3",
        text="b",
        sign=True,
        encounter_id=None,
        acting_user=nurse,
    )
    url = reverse("chart-notes", kwargs={"patient_id": patient_id})
    both = as_physician.get(url, **HTMX).content.decode()
    assert "Doctor&#x27;s" in both and "Nurse&#x27;s" in both
    mine = as_physician.get(url, {"author": f"wintehr-user-{nurse.pk}"}, **HTMX).content.decode()
    assert "Nurse&#x27;s" in mine and "Doctor&#x27;s" not in mine


def test_pharmacist_cannot_write_notes(patient_id, as_pharmacist):
    url = reverse("chart-note-new", kwargs={"patient_id": patient_id})
    assert as_pharmacist.get(url).status_code == 403
