"""The clinician's day in a real browser: sign in, find the patient, open the chart, record
vitals and see the trend change, order a drug that interacts with warfarin and see the alert
while composing (overridden there) and before signing, write and sign a note, acknowledge a
result; the back button works; an administrator then sees both overrides on the CDS service
performance page."""

import re

import pytest
from playwright.sync_api import expect

from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.conftest import CAST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chart_data(physician) -> dict[str, str]:
    patient_id = f.create(f.patient("Quinn", "Harriet", "1948-07-21", mrn="MRN777001"))
    f.create(f.medication_request(patient_id))  # warfarin, active
    f.create(f.blood_pressure(patient_id, 128, 82, f.NOW))
    critical = f.create(f.lab(patient_id, value=6.8, flag="HH"))
    return {"patient": patient_id, "critical": critical}


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(CAST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()


def test_clinician_workflow(page, physician, administrator, chart_data):
    patient_id = chart_data["patient"]
    sign_in(page, physician)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/patients/$"))

    # find the patient as you type
    page.get_by_role("searchbox", name="Find a patient").press_sequentially("quinn", delay=20)
    result = page.locator("#finder-results").get_by_role("link", name="QUINN, Harriet")
    expect(result).to_be_visible()
    result.click()
    expect(page.locator("#chart-header")).to_contain_text("QUINN, Harriet")
    expect(page.locator("#chart-header")).to_contain_text("Allergies not recorded")

    # vitals: record a set, the trend chart's summary changes without a page load
    page.locator("nav.tabs").get_by_role("link", name="Vitals").click()
    expect(page).to_have_url(re.compile(rf"/chart/{patient_id}/vitals/$"))
    expect(page.locator("#vital-trends")).to_contain_text("Systolic: latest 128 mmHg")
    page.get_by_role("spinbutton", name="Systolic (mmHg)").fill("152")
    page.get_by_role("spinbutton", name="Diastolic (mmHg)").fill("97")
    page.get_by_role("spinbutton", name="Heart rate (/min)").fill("84")
    page.get_by_role("button", name="Save vital signs").click()
    expect(page.locator("#chart-panel")).to_contain_text("Vital signs recorded.")
    expect(page.locator("#vital-trends")).to_contain_text("Systolic: latest 152 mmHg")
    expect(page.locator("#vital-trends")).to_contain_text("2 readings from 128 to 152")

    # an invalid set is refused with the field's error
    page.get_by_role("spinbutton", name="Heart rate (/min)").fill("400")
    page.get_by_role("button", name="Save vital signs").click()
    expect(page.locator("#chart-panel")).to_contain_text("not plausible")

    # orders: aspirin with warfarin on file → the interaction card shows before signing
    page.locator("nav.tabs").get_by_role("link", name="Orders").click()
    page.get_by_label("Search medication").press_sequentially("aspirin", delay=20)
    page.get_by_label(re.compile("Aspirin 81 MG Oral Tablet")).check()
    composing = page.locator("#order-select-cards .cds-card.indicator-warning")  # order-select
    expect(composing).to_contain_text("Interaction (major): Aspirin 81 MG Oral Tablet + Warfarin")
    with page.expect_response(re.compile(r"/orders/select/$")):  # a new call on each change
        page.get_by_label("Frequency").select_option(label="twice daily")
    expect(composing).to_contain_text("Interaction (major)")
    composing.locator("summary", has_text="Override").click()  # overridden while composing
    composing.get_by_label("Reason").select_option("already-tolerated")
    composing.get_by_role("button", name="Override").click()
    expect(page.locator("#order-select-cards")).to_contain_text("Overridden: Interaction (major)")
    expect(composing).to_have_count(0)
    page.get_by_role("button", name="Save draft and review").first.click()
    card = page.locator(".cds-card.indicator-warning")
    expect(card).to_contain_text("Interaction (major): Aspirin 81 MG Oral Tablet + Warfarin")
    expect(card.get_by_role("button", name=re.compile("Cancel Aspirin"))).to_be_visible()
    page.get_by_role("button", name="Sign order").click()
    expect(page.locator("#chart-panel")).to_contain_text("Give a reason to override this alert")
    page.locator("select[name^='reason-']").select_option("benefit-outweighs-risk")
    page.get_by_role("button", name="Sign order").click()
    expect(page.locator("#chart-panel")).to_contain_text("Order signed: Aspirin 81 MG Oral Tablet")
    expect(page.locator("#active-medications")).to_contain_text("Aspirin 81 MG Oral Tablet")
    expect(page).to_have_url(re.compile(rf"/chart/{patient_id}/medications/$"))

    # reconciliation: continue the warfarin, stop the aspirin with a reason
    page.get_by_role("link", name="Reconcile medications").click()
    warfarin = page.locator("fieldset.reconcile-item", has_text="Warfarin")
    warfarin.get_by_label("Continue", exact=True).check()
    aspirin = page.locator("fieldset.reconcile-item", has_text="Aspirin")
    aspirin.get_by_label("Stop", exact=True).check()
    page.get_by_role("button", name="Confirm reconciliation").click()
    expect(aspirin).to_contain_text("Give a reason for stopping.")
    aspirin.get_by_label("Reason for stopping").select_option("sdupther")
    page.get_by_role("button", name="Confirm reconciliation").click()
    expect(page.locator("#chart-panel")).to_contain_text("1 continued, 1 stopped, 0 to modify")
    expect(page.locator("#past-medications")).to_contain_text("Aspirin 81 MG Oral Tablet")

    # notes: a SOAP note, signed
    page.locator("nav.tabs").get_by_role("link", name="Notes").click()
    page.get_by_role("link", name="SOAP progress note").click()
    page.get_by_label("Subjective").fill("Feels well, no bleeding.")
    page.get_by_label("Plan").fill("Continue warfarin and aspirin; INR in 3 days.")
    page.get_by_role("button", name="Sign note").click()
    expect(page.locator("#chart-panel")).to_contain_text("Note signed.")
    expect(page.locator("#note-list")).to_contain_text("SOAP progress note")

    # results: acknowledge the critical potassium
    page.locator("nav.tabs").get_by_role("link", name="Results").click()
    page.get_by_role("button", name=re.compile("Acknowledge Potassium")).click()
    expect(page.locator("#chart-panel")).to_contain_text("Result acknowledged.")
    stored = FhirRepository().read("Observation", chart_data["critical"]).content
    assert any(e["url"].endswith("/acknowledged") for e in stored["extension"])

    # the back button returns to the previous tab (history entries pushed by HTMX)
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/chart/{patient_id}/notes/"))
    expect(page.locator("nav.tabs a[aria-current='page']")).to_have_text("Notes")
    assert not [e for e in page.js_errors if "Content Security Policy" in e or "htmx" in e.lower()]

    # both overrides (while composing, at signing) on the administrator's performance page
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, administrator)
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="CDS service performance").click()
    row = page.locator("#service-performance tbody tr", has_text="medication-safety")
    expect(row.locator("td").nth(3)).to_have_text("2")  # overridden
    expect(row.locator("td").nth(4)).to_have_text("0%")  # acceptance rate
    expect(row.locator("td").nth(5)).to_contain_text("Benefit outweighs risk (1)")
    expect(row.locator("td").nth(5)).to_contain_text("Patient already tolerates this therapy (1)")


def test_summary_cards_and_keyboard_navigation(page, physician, chart_data):
    patient_id = chart_data["patient"]
    sign_in(page, physician)
    page.goto(f"/chart/{patient_id}/")
    cards = page.locator("#cds-cards")
    expect(cards).to_contain_text("Critical result not acknowledged")
    expect(cards.locator(".cds-card.indicator-critical")).to_be_visible()
    cards.get_by_role("button", name="Acknowledge result").click()
    expect(cards).to_contain_text("Done:")
    # tabs are reachable and followable with the keyboard alone
    page.locator("nav.tabs a", has_text="Problems").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/chart/{patient_id}/problems/$"))
    expect(page.locator("#chart-panel h2")).to_have_text("Problems")
