from cds.cards import response_errors
from tests.cds.fhir_builders import Chart
from tests.cds.helpers import run_service, summaries

DIABETES = ("44054006", "Diabetes mellitus type 2")
HYPERTENSION = ("38341003", "Hypertensive disorder")


def care_gaps(chart: Chart, *, immunizations: bool = False) -> list[dict]:
    """The care-gap cards; immunization cards only when asked (every adult chart has some)."""
    cards = run_service(
        "care-gaps", "patient-view", {"userId": "Practitioner/doc", "patientId": chart.patient_id}
    )
    assert response_errors({"cards": cards}) == []
    vaccine = "Immunization due"
    return [c for c in cards if immunizations == c["summary"].startswith(vaccine)]


def test_diabetes_without_recent_hba1c_fires_with_an_order_suggestion(chart):
    chart.condition(*DIABETES)
    chart.lab("4548-4", "Hemoglobin A1c", 7.9, "%", days_ago=240)
    cards = care_gaps(chart)
    assert summaries(cards) == ["Diabetes: no HbA1c in the last 6 months"]
    action = cards[0]["suggestions"][0]["actions"][0]
    assert action["type"] == "create"
    assert action["resource"]["code"]["coding"][0]["code"] == "4548-4"
    assert action["resource"]["subject"] == chart.subject


def test_diabetes_with_recent_hba1c_and_no_diabetes_do_not_fire(repository):
    recent = Chart(repository)
    recent.condition(*DIABETES)
    recent.lab("4548-4", "Hemoglobin A1c", 7.1, "%", days_ago=30)
    assert care_gaps(recent) == []
    resolved = Chart(repository)
    resolved.condition(*DIABETES, status="resolved")
    assert care_gaps(resolved) == []


def test_hypertension_above_target_at_the_last_reading_only(repository):
    high = Chart(repository)
    high.condition(*HYPERTENSION)
    high.blood_pressure(128, 78, days_ago=200)
    high.blood_pressure(152, 88, days_ago=3)
    assert summaries(care_gaps(high)) == ["Hypertension above target: last BP 152/88 mmHg"]
    controlled = Chart(repository)
    controlled.condition(*HYPERTENSION)
    controlled.blood_pressure(160, 95, days_ago=200)
    controlled.blood_pressure(132, 82, days_ago=3)
    assert care_gaps(controlled) == []


def test_immunizations_due_by_age(repository):
    senior = Chart(repository, age=70)
    senior.immunization("140", "Influenza, seasonal, injectable, preservative free", days_ago=500)
    senior.immunization("115", "Tdap", days_ago=365 * 3)
    assert sorted(summaries(care_gaps(senior, immunizations=True))) == [
        "Immunization due: Influenza vaccine (yearly)",
        "Immunization due: Pneumococcal vaccine",
    ]
    covered = Chart(repository, age=70)
    covered.immunization("150", "Influenza, injectable, quadrivalent", days_ago=60)
    covered.immunization("133", "Pneumococcal conjugate PCV 13", days_ago=900)
    covered.immunization("113", "Td (adult) preservative free", days_ago=365 * 4)
    assert care_gaps(covered, immunizations=True) == []
    young = Chart(repository, age=40)
    young.immunization("113", "Td (adult) preservative free", days_ago=365 * 12)
    assert summaries(care_gaps(young, immunizations=True)) == [
        "Immunization due: Td/Tdap booster (every 10 years)"
    ]
