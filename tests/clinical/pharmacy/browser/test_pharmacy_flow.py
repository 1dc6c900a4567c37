"""The medication workflow in a real browser: a signed order appears on the open pharmacy queue
by itself, is reviewed with its decision support, verified and dispensed; the chart's MAR shows
it dispensed and a nurse, from the MAR tab of the chart, records the dose."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.clinical.pharmacy import factories as f
from tests.conftest import CAST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(CAST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()


def test_order_verified_dispensed_and_given(page, pharmacist, nurse, physician):
    ward = f.hospital()
    patient_id = f.patient("Browning", "Elsa")
    encounter_id = f.admission(patient_id, ward.beds["cardio-2"])
    f.allergy(patient_id)
    f.lab(patient_id, "62238-1", 48, "mL/min/{1.73_m2}", flag="L")
    requester = f.prescriber(physician)

    missing: list[str] = []  # the browser asks for /favicon.ico on its own: not ours to serve
    page.on(
        "response",
        lambda r: missing.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )
    sign_in(page, pharmacist)
    page.goto("/pharmacy/")
    queue = page.locator("#pharmacy-queue")
    expect(queue).to_contain_text("No pending orders")

    # the physician signs an order: the open queue shows it without a reload (poll fallback)
    order_id = f.order(
        patient_id,
        encounter_id=encounter_id,
        requester=requester,
        drug=f.LISINOPRIL,
        authored=f.ago(days=2),
        priority="urgent",
        quantity=28,
    )
    row = page.locator(f"#queue-order-{order_id}")
    expect(row).to_contain_text("lisinopril 10 MG Oral Tablet", timeout=20_000)
    expect(row).to_contain_text("Allergy to penicillin")
    expect(row).to_contain_text("Cardiology ward · Bed C2")
    expect(row).to_contain_text("URGENT")
    expect(queue.locator('[data-state-count="pending"]')).to_have_text("1")

    # review: decision support, then verify
    row.get_by_role("link", name=re.compile("Review")).click()
    expect(page).to_have_url(re.compile(rf"/pharmacy/orders/{order_id}/$"))
    panel = page.locator("#order-panel")
    expect(panel.locator('[data-check="allergy"]')).to_contain_text("no finding")
    panel.get_by_role("button", name="Verify order").click()
    expect(panel).to_contain_text("Verified: lisinopril 10 MG Oral Tablet.")
    expect(queue.locator('[data-state-count="verified"]')).to_have_text("1")  # refreshed at once

    # dispense part of the 28 ordered, then the rest
    expiry = (date.today() + timedelta(days=400)).isoformat()
    panel.get_by_label("Quantity").fill("14")
    panel.get_by_label("Lot number").fill("LOT-7781")
    panel.get_by_label("Expiry date").fill(expiry)
    panel.get_by_role("button", name="Dispense").click()
    expect(panel).to_contain_text("Dispensed: lisinopril 10 MG Oral Tablet.")
    expect(panel.locator(".order-title")).to_contain_text("Partially dispensed")
    expect(panel.locator("#dispense-history")).to_contain_text("LOT-7781")
    expect(panel.locator("[data-remaining]")).to_have_text("14")
    panel.get_by_label("Lot number").fill("LOT-7782")
    panel.get_by_label("Expiry date").fill(expiry)
    panel.get_by_role("button", name="Dispense").click()
    expect(panel.locator(".order-title")).to_contain_text("Dispensed")
    expect(panel.locator("#dispense-history tbody tr")).to_have_count(2)
    expect(queue.locator('[data-state-count="dispensed"]')).to_have_text("1")

    # the chart's MAR shows it dispensed
    panel.get_by_role("link", name="MAR").click()
    expect(page.locator("#chart-header")).to_contain_text("BROWNING, Elsa")
    mar_row = page.locator(f"#mar-row-{order_id}")
    expect(mar_row).to_contain_text("Dispensed")

    # a nurse sees it dispensed in the chart, opens its MAR tab and gives yesterday's 09:00 dose
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, nurse)
    page.goto(f"/chart/{patient_id}/medications/")
    expect(page.locator("#active-medications")).to_contain_text("Dispensed")
    page.locator("nav.tabs").get_by_role("link", name="MAR", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/pharmacy/mar/{patient_id}/$"))
    expect(page.locator('nav.tabs [aria-current="page"]')).to_have_text("MAR")
    expect(page.locator(f"#mar-row-{order_id}")).to_contain_text("Dispensed")
    page.get_by_role("link", name="← Previous day").click()
    expect(page).to_have_url(re.compile(r"\?day=\d{4}-\d{2}-\d{2}$"))
    cell = page.locator(f"#mar-row-{order_id} td[data-slot='09:00']")
    expect(cell).to_contain_text("Overdue")
    cell.get_by_role("button", name=re.compile("^Given")).click()
    expect(page.locator("#mar-grid")).to_contain_text("Dose recorded as given.")
    expect(page.locator(f"#mar-row-{order_id} td[data-slot='09:00']")).to_contain_text("nurse-joy")
    assert missing == []
    # the live server speaks HTTP only: the websocket fails and the 10 s poll does the work
    unexpected = [
        e
        for e in page.js_errors
        if "WebSocket" not in e and not e.startswith("Failed to load resource")
    ]
    assert unexpected == []
