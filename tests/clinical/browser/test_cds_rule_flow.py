"""A decision-support rule defined, tried and switched on entirely through the UI: an
administrator builds its conditions row by row (adding, choosing kinds, removing one; a mistake is
shown on its row), builds the card's suggestion (propose metformin), tries it on two patients (one
matches, one does not, and the page says which conditions held), enables it; discovery then lists
it, its card shows on the matching patient's chart for a physician, and accepting its suggestion
drafts the metformin order."""

import re

import pytest
from playwright.sync_api import expect

from cds.fhir_values import RXNORM
from cds.models import Rule
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.browser.test_workspace_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "Diabetes at 65+ without metformin: consider starting it"
CONDITIONS = [
    {"type": "age", "min": 65},
    {"type": "condition", "codes": ["http://snomed.info/sct|44054006"]},
    {"type": "medication", "codes": ["6809"], "negate": True},
]
METFORMIN = "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"
DOSAGE = "500 mg by mouth once daily with dinner"


@pytest.fixture
def patients() -> dict[str, str]:
    older = f.create(f.patient("Lindqvist", "Greta", "1946-02-11", mrn="MRN650001"))
    f.create(f.condition(older))
    younger = f.create(f.patient("Osei", "Kofi", "1990-09-30", "male", mrn="MRN650002"))
    f.create(f.condition(younger))
    return {"older": older, "younger": younger}


def fill_rule(page) -> None:
    page.get_by_label("Slug").fill("diabetes-metformin")
    page.get_by_label("Title").fill("Metformin in older diabetics")
    page.get_by_label("Description").fill("Patients 65+ with type 2 diabetes not on metformin")
    page.get_by_label("Hook").select_option("patient-view")
    page.get_by_label("Indicator").select_option("info")
    page.get_by_label("Summary", exact=True).fill(SUMMARY)
    page.get_by_label("Detail", exact=True).fill("First-line therapy unless eGFR < 30.")


def settled(page) -> None:
    """HTMX binds swapped-in controls once settled: a select changed before then sends nothing."""
    expect(page.locator(".htmx-added")).to_have_count(0)


def build_conditions(page) -> None:
    """Age (left without bounds: a mistake), a SNOMED condition, a lab row removed again, and
    metformin that must not be taken."""
    rows = page.locator("#condition-rows .condition-row")
    expect(rows).to_have_count(1)
    rows.nth(0).get_by_label("Kind").select_option(label="Age in years")
    expect(rows.nth(0).get_by_label("From age")).to_be_visible()
    kinds = ("Active condition with a code", "Latest lab result", "Active medication (RxNorm code)")
    for count, kind in enumerate(kinds, start=2):
        page.get_by_role("button", name="Add condition").click()
        expect(rows).to_have_count(count)
        settled(page)
        rows.last.get_by_label("Kind").select_option(label=kind)
    expect(rows).to_have_count(4)
    condition = rows.nth(1)
    condition.get_by_label("Code system").select_option(label="SNOMED CT")
    condition.get_by_label("Codes").fill("44054006")
    expect(rows.nth(2).get_by_label("Comparator")).to_be_visible()
    rows.nth(2).get_by_role("button", name="Remove condition").click()
    expect(rows).to_have_count(3)
    medication = rows.nth(2)
    medication.get_by_label("Codes").fill("6809")
    medication.get_by_label("Must not hold").check()


def build_suggestion(page) -> None:
    """Order a test first (its fields appear), then change to proposing metformin."""
    builder = page.locator("#suggestion-builder")
    builder.get_by_label("Suggestion", exact=True).select_option(label="Order a test or procedure")
    expect(builder.get_by_label("Category")).to_be_visible()
    settled(page)
    builder.get_by_label("Suggestion", exact=True).select_option(label="Propose a medication")
    expect(builder.get_by_label("Category")).to_have_count(0)
    builder.get_by_label("RxNorm code").fill("860975")
    builder.get_by_label("Medication name").fill(METFORMIN)
    builder.get_by_label("Dosage").fill(DOSAGE)


def try_on(page, mrn: str) -> None:
    page.get_by_label("Patient MRN or id").fill(mrn)
    page.get_by_role("button", name="Try").click()


def test_rule_defined_tried_enabled_and_shown(page, administrator, physician, patients):
    sign_in(page, administrator)
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="CDS rules").click()
    expect(page.locator("main")).to_contain_text("No rules yet.")
    page.get_by_role("link", name="New rule").click()

    fill_rule(page)
    build_conditions(page)
    build_suggestion(page)
    page.get_by_role("button", name="Save").click()  # the age row without bounds is refused
    rows = page.locator("#condition-rows .condition-row")
    expect(rows.nth(0).get_by_role("alert")).to_have_text("give min, max or both (years)")
    expect(rows).to_have_count(3)
    expect(page.locator(".condition-row [role=alert]")).to_have_count(1)
    expect(page.get_by_label("Dosage")).to_have_value(DOSAGE)  # the suggestion is kept
    rows.nth(0).get_by_label("From age").fill("65")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Rule diabetes-metformin created")
    expect(page.locator("main")).to_contain_text("Disabled.")
    assert Rule.objects.get().versions.get().conditions == CONDITIONS
    expect(rows.nth(1).get_by_label("Codes")).to_have_value("44054006")  # editing shows rows
    expect(rows.nth(2).get_by_label("Must not hold")).to_be_checked()
    (action,) = Rule.objects.get().versions.get().card["suggestion"]["actions"]
    assert action["resource"]["medicationCodeableConcept"]["coding"][0]["code"] == "860975"
    expect(page.get_by_label("Suggestion", exact=True)).to_have_value("medication-request")
    expect(page.get_by_label("RxNorm code")).to_have_value("860975")

    page.get_by_role("link", name="Try against a patient").click()
    try_on(page, "MRN650002")  # 36 years old: the age condition fails, no card
    expect(page.locator("main h2").first).to_have_text("Conditions for OSEI, Kofi")
    matched = page.locator("#try-conditions tbody td:nth-child(2)")
    expect(matched).to_have_text(["no", "yes", "yes"])
    expect(page.locator("main")).to_contain_text("No card: not every condition holds")
    try_on(page, "MRN650001")
    expect(page.locator("main h2").first).to_have_text("Conditions for LINDQVIST, Greta")
    expect(matched).to_have_text(["yes", "yes", "yes"])
    expect(page.locator("#try-card")).to_contain_text(SUMMARY)

    page.get_by_role("link", name="Back to the rule").click()
    page.get_by_role("button", name="Enable rule").click()
    expect(page.locator(".messages")).to_contain_text("Rule diabetes-metformin enabled.")
    expect(page.locator("tbody tr").first).to_contain_text("enabled")

    services = page.request.get("/cds-services").json()["services"]
    (entry,) = [s for s in services if s["id"] == "rule-diabetes-metformin"]
    assert entry["hook"] == "patient-view" and entry["title"] == "Metformin in older diabetics"

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, physician)
    page.goto(f"/chart/{patients['older']}/")
    card = page.locator("#cds-cards .cds-card", has_text=SUMMARY)
    expect(card).to_have_class(re.compile("indicator-info"))
    expect(card).to_contain_text("WintEHR rule: Metformin in older diabetics")
    card.get_by_role("button", name=f"Prescribe {METFORMIN}").click()
    expect(page.locator("#cds-cards")).to_contain_text(f"Done: {SUMMARY}.")
    bundle = FhirRepository().search_bundle(
        "MedicationRequest", [("patient", patients["older"])], base_url=""
    )
    (order,) = [entry["resource"] for entry in bundle["entry"]]
    assert (order["status"], order["dosageInstruction"]) == ("draft", [{"text": DOSAGE}])
    assert order["medicationCodeableConcept"]["coding"][0]["system"] == RXNORM
    page.goto(f"/chart/{patients['younger']}/")
    expect(page.locator("#cds-cards")).not_to_contain_text("Loading decision support")
    expect(page.locator("#cds-cards .cds-card").first).to_be_visible()  # care gaps answered
    expect(page.locator("#cds-cards")).not_to_contain_text(SUMMARY)
