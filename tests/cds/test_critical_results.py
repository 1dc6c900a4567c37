from cds.client import apply_suggestion
from cds.services.critical_results import ACKNOWLEDGED, acknowledgement
from tests.cds.helpers import run_service, summaries


def critical(chart) -> list[dict]:
    context = {"userId": f"Practitioner/{practitioner(chart)}", "patientId": chart.patient_id}
    return run_service("critical-results", "patient-view", context)


def practitioner(chart) -> str:
    if not hasattr(chart, "practitioner_id"):
        doctor = {
            "resourceType": "Practitioner",
            "name": [{"family": "Careful", "given": ["Adam"]}],
        }
        chart.practitioner_id = chart.add(doctor)
    return chart.practitioner_id


def test_unacknowledged_critical_result_fires_and_acknowledging_silences_it(chart, physician):
    chart.lab(
        "2823-3",
        "Potassium [Moles/volume] in Serum or Plasma",
        6.9,
        "mmol/L",
        interpretation="HH",
        days_ago=0.1,
    )
    chart.lab(
        "2951-2", "Sodium [Moles/volume] in Serum or Plasma", 139, "mmol/L", interpretation="N"
    )
    cards = critical(chart)
    assert summaries(cards) == [
        "Critical result not acknowledged: Potassium [Moles/volume] in Serum or Plasma "
        "6.9 mmol/L (critically high)"
    ]
    assert cards[0]["indicator"] == "critical"
    apply_suggestion(suggestion=cards[0]["suggestions"][0], user=physician)
    assert critical(chart) == []
    acknowledged = chart.repository.search_bundle(
        "Observation", [("patient", chart.patient_id), ("code", "2823-3")], base_url="http://x"
    )["entry"][0]["resource"]["extension"][0]
    assert acknowledged["url"] == ACKNOWLEDGED
    assert acknowledged["extension"][1] == {
        "url": "by",
        "valueReference": {"reference": f"Practitioner/{practitioner(chart)}"},
    }


def test_acknowledged_or_non_critical_results_do_not_fire(chart):
    chart.lab(
        "2823-3",
        "Potassium",
        2.1,
        "mmol/L",
        interpretation="LL",
        extension=[acknowledgement("2026-01-01T10:00:00Z", f"Practitioner/{practitioner(chart)}")],
    )
    chart.lab("2823-3", "Potassium", 5.4, "mmol/L", interpretation="H")
    chart.lab("2823-3", "Potassium", 7.2, "mmol/L", interpretation="HH", status="cancelled")
    assert critical(chart) == []
    assert ACKNOWLEDGED == "http://wintehr.dev/fhir/StructureDefinition/acknowledged"
