"""The dose-range check of medication-safety: the daily amount of each ingredient an order gives
(dose x strength x doses a day) against the usual adult range of cds/data/dose_ranges.json."""

from decimal import Decimal

import pytest

from cds.medications.dosing import daily_amounts, doses_per_day
from cds.medications.drugs import drug_from_request
from clinical.catalog.catalog import curated_items
from clinical.orders.services import dosage_instruction
from tests.cds.fhir_builders import Chart, medication_request
from tests.cds.helpers import summaries
from tests.cds.test_medication_safety import sign

ACETAMINOPHEN = ("313782", "Acetaminophen 325 MG Oral Tablet")
METHOTREXATE = ("105586", "Methotrexate 10 MG Oral Tablet")
PERCOCET = ("1049221", "Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet")
FUROSEMIDE_INJECTION = ("1719286", "10 ML Furosemide 10 MG/ML Injection")
UCUM = "http://unitsofmeasure.org"


def ordered(chart, drug, amount: float, unit: str = "tablet", *, as_needed=False, **repeat):
    dosage = {
        "timing": {"repeat": repeat or {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": {"value": amount, "unit": unit, "system": UCUM}}],
    }
    if as_needed:
        dosage["asNeededBoolean"] = True
    return medication_request(chart.patient_id, *drug, dosageInstruction=[dosage])


def dose_cards(cards: list[dict]) -> list[tuple[str, str]]:
    return [(c["summary"], c["indicator"]) for c in cards if c["summary"].startswith("Dose")]


def test_above_the_maximum_warns(chart):
    cards = sign(chart, ordered(chart, ACETAMINOPHEN, 3, frequency=1, period=4, periodUnit="h"))
    assert dose_cards(cards) == [
        ("Dose above range: acetaminophen 5850 mg a day (usual 325-4000 mg a day)", "warning")
    ]
    assert "Acetaminophen 325 MG Oral Tablet" in cards[0]["detail"]
    assert cards[0]["suggestions"][0]["isRecommended"] is False


def test_daily_methotrexate_is_critical_and_weekly_is_fine(chart):
    daily = ordered(chart, METHOTREXATE, 1)
    cards = sign(chart, daily)
    assert dose_cards(cards) == [
        ("Dose above range: methotrexate 70 mg a week (usual 7.5-25 mg a week)", "critical")
    ]
    assert cards[0]["suggestions"][0]["actions"][0]["type"] == "delete"
    assert cards[0]["suggestions"][0]["isRecommended"] is True
    selected = sign(chart, daily, hook="order-select", selections=["MedicationRequest/draft-0"])
    assert dose_cards(selected) == dose_cards(cards)  # as soon as it is picked
    weekly = ordered(chart, METHOTREXATE, 1, frequency=1, period=1, periodUnit="wk")
    assert sign(chart, weekly) == []


def test_below_the_minimum_is_information_unless_as_needed(chart):
    hctz = ("310798", "Hydrochlorothiazide 25 MG Oral Tablet")
    cards = sign(chart, ordered(chart, hctz, 0.25))
    assert dose_cards(cards) == [
        ("Dose below range: hydrochlorothiazide 6.25 mg a day (usual 12.5-50 mg a day)", "info")
    ]
    small_tylenol = ("282464", "Acetaminophen 160 MG Oral Tablet")
    assert dose_cards(sign(chart, ordered(chart, small_tylenol, 1))) != []
    as_needed = ordered(chart, small_tylenol, 1, as_needed=True)
    assert sign(chart, as_needed) == []


def test_doses_in_mg_liquids_and_combinations(chart):
    spironolactone = ordered(chart, ("9997", "spironolactone"), 200, "mg", frequency=3, period=1,
                             periodUnit="d")  # fmt: skip
    furosemide = ordered(
        chart, FUROSEMIDE_INJECTION, 40, "mL", frequency=2, period=1, periodUnit="d"
    )
    percocet = ordered(chart, PERCOCET, 2, frequency=1, period=3, periodUnit="h")
    found = {s for s in summaries(sign(chart, spironolactone, furosemide, percocet))}
    assert {s for s in found if s.startswith("Dose")} == {
        "Dose above range: spironolactone 600 mg a day (usual 12.5-400 mg a day)",
        "Dose above range: furosemide 800 mg a day (usual 20-600 mg a day)",
        "Dose above range: acetaminophen 5200 mg a day (usual 325-4000 mg a day)",
    }  # oxycodone has no range: nothing about it


def test_frequency_ranges_count_at_their_most(chart):
    every_4_to_6_hours = {"frequency": 1, "period": 4, "periodMax": 6, "periodUnit": "h"}
    assert doses_per_day({"repeat": every_4_to_6_hours}) == (4.0, 6.0)
    assert doses_per_day({"repeat": {"count": 1}}) == (1.0, 1.0)
    assert doses_per_day({"code": {"text": "as directed"}}) is None
    order = ordered(chart, ("161", "acetaminophen"), 1000, "mg", **every_4_to_6_hours)
    [daily] = daily_amounts(drug_from_request(order, draft=True))
    assert (daily.ingredient, daily.low, daily.high) == ("161", 4000.0, 6000.0)
    assert dose_cards(sign(chart, order))[0][0].startswith("Dose above range: acetaminophen 6000")


def test_unknown_strength_unit_or_timing_is_not_guessed(chart):
    no_timing = medication_request(
        chart.patient_id, *ACETAMINOPHEN, dosageInstruction=[{"text": "as directed"}]
    )
    units_of_a_tablet_in_ml = ordered(chart, ACETAMINOPHEN, 50, "mL")
    assert dose_cards(sign(chart, no_timing, units_of_a_tablet_in_ml)) == []


def test_children_are_not_held_to_adult_ranges(repository):
    child = Chart(repository, age=9)
    assert sign(child, ordered(child, METHOTREXATE, 1)) == []


@pytest.mark.parametrize("item", curated_items("medications"), ids=lambda item: item.code)
def test_the_catalogs_usual_doses_are_in_range(chart, item):
    dosage = dosage_instruction(
        dose=Decimal(str(item.extra["dose"])),
        unit=item.extra["form"],
        route_key=item.extra["route"],
        frequency_key=item.extra["frequency"],
        note="",
    )
    order = medication_request(
        chart.patient_id, item.code, item.display, dosageInstruction=[dosage]
    )
    assert dose_cards(sign(chart, order)) == []
