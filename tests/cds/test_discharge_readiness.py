from tests.cds.fhir_builders import LOINC, RXNORM, ago
from tests.cds.helpers import run_service, summaries

LIST_USE = "http://terminology.hl7.org/CodeSystem/list-example-use-codes"


def reconciliation(chart, *references: str, days_ago: float, status: str = "current") -> str:
    """A medication reconciliation as the workspace records it: a List of the medications."""
    return chart.add(
        {
            "resourceType": "List",
            "status": status,
            "mode": "snapshot",
            "code": {"coding": [{"system": LIST_USE, "code": "medications"}]},
            "subject": chart.subject,
            "date": ago(days_ago),
            "entry": [{"item": {"reference": r}} for r in references],
        }
    )


def encounter(chart, *, started_days_ago: float = 3) -> str:
    return chart.add(
        {
            "resourceType": "Encounter",
            "status": "in-progress",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "IMP",
            },
            "subject": chart.subject,
            "period": {"start": ago(started_days_ago)},
        }
    )


def order(chart, encounter_id: str, code: str, display: str) -> str:
    return chart.add(
        {
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "subject": chart.subject,
            "encounter": {"reference": f"Encounter/{encounter_id}"},
        }
    )


def discharge(chart, encounter_id: str) -> list[dict]:
    context = {
        "userId": "Practitioner/doc",
        "patientId": chart.patient_id,
        "encounterId": encounter_id,
    }
    return run_service("discharge-readiness", "encounter-discharge", context)


def test_pending_results_and_unreconciled_medications(chart):
    stay = encounter(chart)
    culture = order(chart, stay, "600-7", "Bacteria identified in Blood by Culture")
    answered = order(chart, stay, "2823-3", "Potassium")
    chart.lab(
        "2823-3", "Potassium", 4.1, "mmol/L", basedOn=[{"reference": f"ServiceRequest/{answered}"}]
    )
    chart.lab(
        "1988-5",
        "C reactive protein",
        40,
        "mg/L",
        status="preliminary",
        encounter={"reference": f"Encounter/{stay}"},
    )
    lisinopril = chart.medication("314076", "lisinopril 10 MG Oral Tablet")
    metformin = chart.medication(
        "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"
    )
    reconciliation(chart, f"MedicationRequest/{lisinopril}", days_ago=10)  # before the stay
    reconciliation(chart, f"MedicationRequest/{lisinopril}", days_ago=1, status="retired")
    reconciliation(chart, f"MedicationRequest/{metformin}", days_ago=0.5)
    cards = discharge(chart, stay)
    assert summaries(cards) == [
        "2 result(s) pending at discharge",
        "1 medication(s) not reconciled for discharge",
    ]
    assert "Bacteria identified in Blood by Culture (ordered, no result)" in cards[0]["detail"]
    assert "C reactive protein (preliminary)" in cards[0]["detail"]
    assert "lisinopril" in cards[1]["detail"] and "Metformin" not in cards[1]["detail"]
    assert culture


def test_ready_for_discharge(chart):
    stay = encounter(chart)
    lisinopril = chart.medication("314076", "lisinopril 10 MG Oral Tablet")
    reconciliation(chart, f"MedicationRequest/{lisinopril}", days_ago=0.2)
    old = encounter(chart, started_days_ago=400)
    order(chart, old, "600-7", "Blood culture")  # another encounter's order
    assert discharge(chart, stay) == []
    assert RXNORM


def test_medications_the_patient_takes_need_reconciling_too(chart):
    stay = encounter(chart)
    taken = chart.add(
        {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": "314076"}],
                "text": "lisinopril 10 MG Oral Tablet",
            },
            "subject": chart.subject,
        }
    )
    cards = discharge(chart, stay)
    assert summaries(cards) == ["1 medication(s) not reconciled for discharge"]
    assert "lisinopril" in cards[0]["detail"]
    reconciliation(chart, f"MedicationStatement/{taken}", days_ago=0.1)
    assert discharge(chart, stay) == []
