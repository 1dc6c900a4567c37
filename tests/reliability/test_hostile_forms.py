"""Hostile input in the workspace screens: SQL and script in every visible field of the chart's
forms. Each value is refused as a field error (the form re-rendered) or stored verbatim, is
never run, and every page shows it escaped."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django import forms
from django.urls import reverse

from clinical.allergies.forms import AllergyForm
from clinical.encounters.forms import EncounterStartForm
from clinical.notes.forms import NoteForm
from clinical.notes.selectors import note_text
from clinical.orders.forms import MedicationOrderForm, ServiceOrderForm
from clinical.problems.forms import ProblemForm
from clinical.vitals.forms import VitalsForm
from fhirapi.store.models import ResourceRecord, ResourceVersion
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX
from tests.reliability.test_hostile_input import ATTRIBUTE, SCRIPT, SQL

HOSTILE = [*SQL[:3], SCRIPT, ATTRIBUTE]


@dataclass(frozen=True)
class Screen:
    url_name: str
    role: str  # the fixture of the user who may post it
    form: Callable[[], forms.Form]
    data: dict[str, str] = field(default_factory=dict)  # a valid post
    unused: tuple[str, ...] = ()  # fields this kind of post ignores


SCREENS = [
    Screen("chart-problems", "nurse", ProblemForm, {
        "code": "http://snomed.info/sct|59621000|Essential hypertension", "onset": "2020-05-01",
        "clinical_status": "active", "verification": "confirmed", "note": "home readings"}),
    Screen("chart-allergies", "nurse", AllergyForm, {
        "code": "http://snomed.info/sct|256349002|Peanut", "category": "food",
        "criticality": "high", "clinical_status": "active", "verification": "confirmed",
        "manifestation": "39579001", "severity": "severe", "onset": "2019-01-01",
        "note": "hives"}),
    Screen("chart-note-new", "physician", NoteForm, {
        "title": "Ward round", "type_code": "11506-3", "soap": "True", "subjective": "Better",
        "objective": "Afebrile", "assessment": "Improving", "plan": "Home", "save": "1"},
        unused=("text",)),
    Screen("chart-note-new", "physician", NoteForm, {
        "title": "Letter", "type_code": "34117-2", "soap": "False", "text": "Dear colleague",
        "save": "1"}, unused=("subjective", "objective", "assessment", "plan")),
    Screen("chart-vitals", "nurse", VitalsForm, {"systolic": "142", "diastolic": "91",
                                                 "heart_rate": "77"}),
    Screen("chart-orders", "physician", MedicationOrderForm, {
        "order_kind": "medication",
        "drug": "http://www.nlm.nih.gov/research/umls/rxnorm|314076|lisinopril 10 MG Oral Tablet",
        "dose": "1", "dose_unit": "tablet", "route": "oral", "frequency": "daily",
        "duration_days": "30", "note": "with water"}),
    Screen("chart-orders", "physician", lambda: ServiceOrderForm(kind="imaging"), {
        "order_kind": "imaging", "imaging-code": "http://loinc.org|36643-5|XR Chest 2 Views",
        "imaging-priority": "routine", "imaging-reason": "cough"}),
    Screen("chart-encounters", "nurse", EncounterStartForm, {
        "encounter_class": "AMB", "encounter_type": "185349003"}),
]  # fmt: skip


def visible_fields(form: forms.Form) -> list[str]:
    return [form.add_prefix(name) for name, fld in form.fields.items() if not fld.widget.is_hidden]


def stored_verbatim(value: str) -> bool:
    """Some version of some resource holds exactly this string (a note: in its text)."""
    encoded = json.dumps(value)[1:-1]
    for content in ResourceVersion.objects.values_list("content", flat=True):
        if encoded in json.dumps(content) or value in note_text(content):
            return True
    return False


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html and ATTRIBUTE not in html


def refused(html: str) -> bool:
    return 'aria-invalid="true"' in html or 'class="errorlist' in html


@pytest.mark.parametrize(
    "screen", SCREENS, ids=lambda s: s.url_name + s.data.get("order_kind", s.data.get("soap", ""))
)
def test_every_field_of_the_workspace_forms_refuses_or_stores_hostile_text(
    db, request, signed_in, screen
):
    patient_id = f.create(f.patient())
    client = signed_in(request.getfixturevalue(screen.role))
    url = reverse(screen.url_name, kwargs={"patient_id": patient_id})
    valid = client.post(url, screen.data, **HTMX)
    assert valid.status_code == 200 and not refused(valid.content.decode())
    failures = []
    for name in [n for n in visible_fields(screen.form()) if n not in screen.unused]:
        for hostile in HOSTILE:
            value = f"{hostile} {name}"  # each field's own, so a drop is not hidden by another
            stored = ResourceRecord.objects.count()
            answer = client.post(url, {**screen.data, name: value}, **HTMX)
            assert answer.status_code == 200, (name, value, answer.status_code)
            html = answer.content.decode()
            assert_escaped(html)
            if not (refused(html) or stored_verbatim(value)):
                failures.append((name, value))
            assert ResourceRecord.objects.count() >= stored  # nothing dropped
    assert not failures
    page = client.get(url)
    assert page.status_code == 200
    assert_escaped(page.content.decode())


def test_the_finder_treats_injection_as_a_name(db, physician, signed_in):
    f.create(f.patient(family="Innocent"))
    client = signed_in(physician)
    assert "Innocent" in client.get(reverse("finder") + "?q=Innocent").content.decode()
    for value in HOSTILE:
        page = client.get(reverse("finder") + "?q=" + quote(value))
        assert page.status_code == 200, value
        assert "Innocent" not in page.content.decode(), value  # no OR 1=1 listing everyone
        assert_escaped(page.content.decode())
    assert ResourceRecord.objects.count() == 1
