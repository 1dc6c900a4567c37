"""Hostile input in the workspace screens: SQL, script, NUL bytes and oversized text in every
visible field of the chart's, the pharmacy's, decision support's (its rule editor too), imaging's
and break-the-glass forms. Each value is refused as a field error (the form re-rendered, nothing
written) or stored verbatim, is never run, and every page shows it escaped."""

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from urllib.parse import quote
from uuid import uuid4

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

import cds
import clinical
import imaging
from cds.models import CardFeedback, Rule, RuleVersion
from cds.rules.condition_forms import KINDS as CONDITION_KINDS
from cds.rules.condition_forms import ConditionRowForm
from cds.rules.forms import LINK_URL_HELP, RuleForm, TryForm
from cds.rules.suggestion_forms import SuggestionForm
from clinical.allergies.forms import AllergyForm, EnteredInErrorForm
from clinical.cds_cards.forms import OverrideForm
from clinical.chart_access.forms import BreakGlassForm
from clinical.chart_access.models import GlassBreak
from clinical.chart_access.services import chart_restrict
from clinical.encounters.forms import DischargeForm, EncounterStartForm
from clinical.medications.forms import ReconcileForm, StopForm
from clinical.medications.selectors import ReconcileItem
from clinical.notes.forms import NoteForm
from clinical.notes.selectors import note_text
from clinical.orders.forms import MedicationOrderForm, ServiceOrderForm
from clinical.pharmacy import forms as pharmacy
from clinical.pharmacy.services import medication_dispense, order_return, order_verify
from clinical.problems.forms import ProblemForm, ResolveForm
from clinical.vitals.forms import VitalsForm
from fhirapi.store.models import ResourceRecord, ResourceVersion
from imaging.forms import AssignPatientForm
from imaging.models import StudyReconciliation
from tests.cds.test_rule_builder import KINDS as ROW_KINDS
from tests.cds.test_rules import form as rule_form
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX
from tests.clinical.pharmacy import factories as rx
from tests.clinical.test_cds_cards import card_keys
from tests.imaging.conftest import CT, imaging_storage, ingest, variant  # noqa: F401 (autouse)
from tests.reliability.test_hostile_input import ATTRIBUTE, SCRIPT, SQL

HOSTILE = [*SQL[:3], SCRIPT, ATTRIBUTE, "nul \x00 byte", "x" * 100_000]


@dataclass(frozen=True)
class Post:
    """Where one post goes: the URL's arguments, and post data naming what it acts on."""

    kwargs: dict[str, str]
    data: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # a form field's name in this post


@dataclass(frozen=True)
class Poster:
    client: Client
    patient_id: str
    fixture: Callable[[str], object]  # another user, by its fixture's name


def same_chart(poster: Poster) -> Post:
    return Post({"patient_id": poster.patient_id})


def fragment(target: str) -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": target}


@dataclass(frozen=True)
class Screen:
    url_name: str
    role: str  # the fixture of the user who may post it
    form: Callable[[], forms.Form]
    data: dict[str, str] = field(default_factory=dict)  # a valid post
    unused: tuple[str, ...] = ()  # fields this kind of post ignores
    target: Callable[[Poster], Post] = same_chart  # a fresh one for each post that acts once
    headers: dict[str, str] = field(default_factory=lambda: HTMX)
    follow: bool = False  # answered by a redirect to the page saying what became of it
    page: tuple[str, ...] = ()  # the page showing the post back: URL name, its target's keys
    rows: Callable[[], int] = lambda: 0  # rows the screen writes outside the resource store
    kept: Callable[[str], bool] = lambda value: False  # and whether one holds this value


def fresh(factory: Callable[[str], dict], key: str) -> Callable[[Poster], Post]:
    """A new resource of the chart for each post, for actions done once (stop, resolve)."""

    def target(poster: Poster) -> Post:
        return Post({"patient_id": poster.patient_id, key: f.create(factory(poster.patient_id))})

    return target


def discharge_card(poster: Poster) -> Post:
    """An encounter whose discharge review shows a warning card (a medication not reconciled):
    its override reason and comment, named after the card."""
    post = fresh(f.encounter, "encounter_id")(poster)
    f.create(f.medication_request(poster.patient_id))
    url = reverse("chart-encounter-discharge", kwargs=post.kwargs)
    review = poster.client.get(url, **HTMX).content.decode()
    card = review.split('name="reason-')[1].split('"')[0]
    names = {"reason": f"reason-{card}", "comment": f"comment-{card}"}
    return Post(post.kwargs, {names["reason"]: "will-monitor"}, names)


def pending_order(poster: Poster) -> Post:
    requester = rx.prescriber(poster.fixture("physician"))
    order_id = rx.order(poster.patient_id, requester=requester, quantity=28)
    return Post({"order_id": order_id}, {"version": "1"})


def verified_order(poster: Poster) -> Post:
    post = pending_order(poster)
    order_verify(
        order_id=post.kwargs["order_id"], version=1, acting_user=poster.fixture("pharmacist")
    )
    return Post(post.kwargs, {"version": "2"})


def returned_order(poster: Poster) -> Post:
    post = pending_order(poster)
    order_id, pharmacist = post.kwargs["order_id"], poster.fixture("pharmacist")
    order_return(order_id=order_id, version=1, reason="which strength?", acting_user=pharmacist)
    return Post(post.kwargs, {"version": "2"})


def order_on_the_mar(poster: Poster) -> Post:
    order_id = verified_order(poster).kwargs["order_id"]
    medication_dispense(
        order_id=order_id,
        version=2,
        quantity=Decimal(28),
        unit="tablet",
        lot="X1",
        expiry=date(2099, 1, 31),
        acting_user=poster.fixture("pharmacist"),
    )
    return Post(same_chart(poster).kwargs, {"order": order_id})


def shown_card(poster: Poster) -> Post:
    """A patient with a critical result: its card, as the summary shows it."""
    patient_id = f.create(f.patient())
    f.create(f.lab(patient_id, value=6.9, flag="HH"))
    url = reverse("chart-cds", kwargs={"patient_id": patient_id})
    card, suggestion = card_keys(poster.client.get(url, **fragment("cds-cards")).content.decode())
    return Post({"patient_id": patient_id}, {"card": card, "suggestion": suggestion})


def restricted_chart(poster: Poster) -> Post:
    patient_id = f.create(f.patient())
    chart_restrict(patient_id=patient_id, acting_user=poster.fixture("administrator"), care_team=[])
    return Post({"patient_id": patient_id})


RECONCILED = ReconcileItem({"resourceType": "MedicationRequest", "id": "each"}, "a drug", "")


def reconcile_form() -> ReconcileForm:
    return ReconcileForm(items=[RECONCILED])


def reconciled_chart(poster: Poster) -> Post:
    """A chart of its own with one medication (every one of a chart's is decided on in each post),
    to modify: the fields, named after the medication."""
    patient_id = f.create(f.patient())
    key = f"MedicationRequest-{f.create(f.medication_request(patient_id))}"
    names = {name: name.replace(RECONCILED.key, key) for name in reconcile_form().fields}
    data = {f"{key}-decision": "modify", f"{key}-comment": "halve the dose"}
    return Post({"patient_id": patient_id}, data, names)


def unmatched_study(poster: Poster) -> Post:
    """A study of an unknown patient, waiting in the reconciliation queue: given to the chart."""
    [study] = ingest(poster.fixture("physician"), ("ct.dcm", variant(CT))).studies
    return Post({"pk": str(study.reconciliation.pk)}, {"patient_id": poster.patient_id})


def resolved_studies() -> int:
    return StudyReconciliation.objects.exclude(resolved_at=None).count()


def new_slug() -> str:
    return f"rule-{uuid4().hex[:8]}"


def new_rule(poster: Poster) -> Post:
    return Post({}, {"slug": new_slug()})


def a_rule(poster: Poster) -> Post:
    """A rule to try on the chart's patient."""
    slug = new_slug()
    assert poster.client.post(reverse("cds-rule-new"), rule_form(slug=slug)).status_code == 302
    return Post({"slug": slug}, {"patient": poster.patient_id})


def rule_rows() -> int:
    return Rule.objects.count() + RuleVersion.objects.count()


def rule_kept(value: str) -> bool:
    versions = RuleVersion.objects.values_list("title", "description", "card")
    return any(holds(version, value) for version in versions)


def condition_row(row: dict[str, str]) -> Screen:
    """A new rule whose one condition is a row of this kind, which ignores other kinds' fields."""
    form = partial(ConditionRowForm, prefix="conditions-0")
    used = {"kind", "negate", *CONDITION_KINDS[row["kind"]][1]}
    other = tuple(form().add_prefix(name) for name in ConditionRowForm.base_fields.keys() - used)
    return Screen("cds-rule-new", form=form, data=rule_form([row]), unused=other, **RULE)


def feedback_kept(value: str) -> bool:
    return CardFeedback.objects.filter(user_comment=value).exists()


def glass_kept(value: str) -> bool:
    return GlassBreak.objects.filter(reason=value).exists()


PANEL, ORDER_PAGE = fragment("order-panel"), ("pharmacy-order", "order_id")
RULE = {
    "role": "administrator",
    "target": new_rule,
    "headers": {},
    "page": ("cds-rule-edit", "slug"),
    "rows": rule_rows,
    "kept": rule_kept,
}
ROW_OF_EACH_KIND = {row["kind"]: row for row, _ in ROW_KINDS}.values()
SERVICE = tuple(f"suggestion-{name}" for name in ("label", "category", "system", "code", "display"))
DRUG = tuple(f"suggestion-{name}" for name in ("drug_code", "drug_display", "dosage"))
MEDICATION = {
    "suggestion-kind": "medication-request",
    "suggestion-drug_code": "860975",
    "suggestion-drug_display": "metformin",
    "suggestion-dosage": "500 mg once daily",
}
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
    Screen("chart-allergy-error", "nurse", EnteredInErrorForm, {"reason": "wrong patient"},
           target=fresh(f.allergy, "allergy_id"), page=("chart-allergies", "patient_id")),
    Screen("chart-problem-resolve", "nurse", ResolveForm, {"resolved_on": "2024-01-31"},
           target=fresh(f.condition, "condition_id"), page=("chart-problems", "patient_id")),
    Screen("chart-medication-stop", "physician", StopForm, {"reason": "clarif", "comment": "INR 5"},
           target=fresh(f.medication_request, "request_id"),
           page=("chart-medications", "patient_id")),
    Screen("chart-encounter-discharge", "nurse", DischargeForm, {"disposition": "home"},
           target=fresh(f.encounter, "encounter_id"), page=("chart-encounters", "patient_id")),
    Screen("chart-encounter-discharge", "nurse", OverrideForm, {"disposition": "home"},
           unused=("card",), target=discharge_card, page=("chart-encounters", "patient_id"),
           rows=CardFeedback.objects.count, kept=feedback_kept),
    Screen("pharmacy-order-verify", "pharmacist", pharmacy.VerifyForm, {"comment": "INR ok"},
           target=pending_order, headers=PANEL, page=ORDER_PAGE),
    Screen("pharmacy-order-return", "pharmacist", pharmacy.ReturnForm, {"reason": "which dose?"},
           target=pending_order, headers=PANEL, page=ORDER_PAGE),
    Screen("pharmacy-order-reject", "pharmacist", pharmacy.RejectForm, {
        "reason": "clarif", "comment": "duplicate"},
           target=pending_order, headers=PANEL, page=ORDER_PAGE),
    Screen("pharmacy-order-dispense", "pharmacist", pharmacy.DispenseForm, {
        "quantity": "14", "unit": "tablet", "lot": "X1", "expiry": "2099-01-31"},
           target=verified_order, headers=PANEL, page=ORDER_PAGE),
    Screen("pharmacy-order-resubmit", "physician", pharmacy.ResubmitForm, {"comment": "5 mg"},
           target=returned_order, headers=fragment("returned-orders"),
           page=("pharmacy-returned",)),
    Screen("pharmacy-mar-record", "nurse", pharmacy.AdministrationForm, {
        "outcome": "given", "comment": "with food"},
           target=order_on_the_mar, headers=fragment("mar-grid"),
           page=("pharmacy-mar", "patient_id")),
    Screen("chart-cds-override", "physician", OverrideForm, {"comment": "repeat sample sent"},
           target=shown_card, headers=fragment("cds-cards"), page=("chart-cds", "patient_id"),
           rows=CardFeedback.objects.count, kept=feedback_kept),
    Screen("break-glass", "nurse", BreakGlassForm, {"reason": "In resus, team unreachable"},
           target=restricted_chart, headers={}, page=("chart-summary", "patient_id"),
           rows=GlassBreak.objects.count, kept=glass_kept),
    Screen("chart-medication-reconcile", "physician", reconcile_form, target=reconciled_chart,
           page=("chart-medications", "patient_id")),
    Screen("imaging:assign", "physician", AssignPatientForm, target=unmatched_study, headers={},
           follow=True, page=("imaging:reconciliation",), rows=resolved_studies),
    Screen("cds-rule-new", form=RuleForm, data=rule_form(), **RULE),
    *(condition_row(row) for row in ROW_OF_EACH_KIND),
    Screen("cds-rule-new", form=SuggestionForm, data=rule_form(), unused=DRUG, **RULE),
    Screen("cds-rule-new", form=SuggestionForm, data=rule_form(**MEDICATION), unused=SERVICE,
           **RULE),
    Screen("cds-rule-try", "administrator", TryForm, target=a_rule, headers={}, rows=rule_rows),
]  # fmt: skip


def visible_fields(form: forms.Form) -> list[str]:
    """The fields taking text: not hidden ones, nor checkboxes (any value ticks them)."""
    return [
        form.add_prefix(name)
        for name, fld in form.fields.items()
        if not (fld.widget.is_hidden or isinstance(fld.widget, forms.CheckboxInput))
    ]


def holds(content: object, value: str) -> bool:
    """Some string inside this JSON content is exactly this one, or holds it."""
    return json.dumps(value)[1:-1] in json.dumps(content)


def stored_verbatim(value: str) -> bool:
    """Some version of some resource holds exactly this string (a note: in its text)."""
    for content in ResourceVersion.objects.values_list("content", flat=True):
        if holds(content, value) or value in note_text(content):
            return True
    return False


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html and ATTRIBUTE not in html


def refused(html: str) -> bool:
    return any(
        mark in html
        for mark in ('aria-invalid="true"', 'class="errorlist', 'class="form-errors"',
                     'class="message error"')
    )  # fmt: skip


def page_url(screen: Screen, target: Post) -> str:
    name, *keys = screen.page or (screen.url_name, *target.kwargs)
    given = target.data | target.kwargs  # a new rule's slug is posted
    return reverse(name, kwargs={key: given[key] for key in keys})


def written(screen: Screen) -> tuple[int, ...]:
    return ResourceRecord.objects.count(), ResourceVersion.objects.count(), screen.rows()


@pytest.mark.parametrize(
    "screen", SCREENS, ids=lambda s: s.url_name + s.data.get("order_kind", s.data.get("soap", ""))
)
def test_every_field_of_the_forms_refuses_or_stores_hostile_text(db, request, signed_in, screen):
    client = signed_in(request.getfixturevalue(screen.role))
    poster = Poster(client, f.create(f.patient()), request.getfixturevalue)

    def post(target: Post, fields: dict[str, str]) -> str:
        url = reverse(screen.url_name, kwargs=target.kwargs)
        named = {target.names.get(name, name): value for name, value in fields.items()}
        data = {**screen.data, **target.data, **named}
        answer = poster.client.post(url, data, follow=screen.follow, **screen.headers)
        assert answer.status_code in (200, 302), (fields, answer.status_code)  # 302: done
        return answer.content.decode()

    assert not refused(post(screen.target(poster), {}))
    failures = []
    for name in [n for n in visible_fields(screen.form()) if n not in screen.unused]:
        for hostile in HOSTILE:
            value = f"{hostile} {name}"  # each field's own, so a drop is not hidden by another
            target = screen.target(poster)
            before = written(screen)
            html = post(target, {name: value})
            assert_escaped(html)
            if refused(html):
                assert written(screen) == before, (name, value)  # nothing half-written
            elif not (stored_verbatim(value) or screen.kept(value)):
                failures.append((name, value[:80]))
            elif hostile in (SCRIPT, ATTRIBUTE):
                page = poster.client.get(page_url(screen, target))
                assert page.status_code == 200
                assert_escaped(page.content.decode())
    assert not failures


NOT_POSTED_HERE = {  # the apps' forms the test above does not post, and why
    "QueueFilterForm": "a GET filter of the pharmacy queue: nothing is written",
    "NoteFilterForm": "a GET filter of the notes list: nothing is written",
    "FinderForm": "a GET search: the finder test below",
    "WardForm": "a GET filter of the finder: nothing is written",
    "TimelineForm": "a GET filter of the timeline: nothing is written",
    "PacsSearchForm": "a GET search of the PACS: nothing is written",
    "VersionedForm": "the base of the pharmacy's forms, posted through them",
    "UploadForm": "DICOM files: names and contents in test_hostile_input (traversal, zip bombs)",
    "TokenForm": "the sign-in's second factor: a code of 6-8 digits and nothing else",
}


def app_forms() -> set[str]:
    """The names of the forms defined in the forms modules of the clinical, cds and imaging apps."""
    for package in (clinical, cds, imaging):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith("forms"):  # forms, condition_forms
                importlib.import_module(module.name)
    found, pending = set(), [forms.Form]
    while pending:
        for form in pending.pop().__subclasses__():
            pending.append(form)
            if form.__module__.split(".")[0] in ("clinical", "cds", "imaging"):
                found.add(form.__name__)
    return found


def test_every_form_of_the_apps_is_posted_hostile_or_says_why_not():
    posted = {type(screen.form()).__name__ for screen in SCREENS}
    assert app_forms() - posted == set(NOT_POSTED_HERE)  # a new form: add a screen above
    assert not posted & set(NOT_POSTED_HERE)


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


ADULTS = [{"kind": "age", "min_age": "18"}]


def test_a_rules_card_shows_its_authors_markup_escaped_on_the_chart(
    db, administrator, physician, signed_in
):
    editor, slug = signed_in(administrator), "hostile-card"
    text = {"title": SCRIPT, "summary": f"{SCRIPT} {ATTRIBUTE}", "link_label": ATTRIBUTE,
            "detail": f"**{SCRIPT}** {ATTRIBUTE}", "suggestion-label": SCRIPT}  # fmt: skip
    new = editor.post(reverse("cds-rule-new"), rule_form(ADULTS, slug=slug, **text))
    assert new.status_code == 302
    editor.post(reverse("cds-rule-toggle", kwargs={"slug": slug}))
    chart = reverse("chart-cds", kwargs={"patient_id": f.create(f.patient())})
    html = signed_in(physician).get(chart, **fragment("cds-cards")).content.decode()
    assert_escaped(html)
    script, attribute = escape(SCRIPT), escape(ATTRIBUTE)
    assert f">{script} {attribute}</h4>" in html  # the summary
    assert f"WintEHR rule: {script}</span>" in html  # the title
    assert f"<strong>{script}</strong> {attribute}</p>" in html  # the detail, as markdown
    assert f">{attribute}</a>" in html  # the link's label
    assert f">{script}</button>" in html  # the suggestion's


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>", "//example.org"]
)
def test_the_rule_editor_refuses_a_link_that_is_not_http_on_its_field(
    db, administrator, signed_in, url
):
    assert RuleForm(rule_form(link_url=url)).errors == {"link_url": [LINK_URL_HELP]}
    page = signed_in(administrator).post(reverse("cds-rule-new"), rule_form(link_url=url))
    assert page.status_code == 200 and LINK_URL_HELP in page.content.decode()
    assert rule_rows() == 0
