import pytest

from cds.cards import response_errors
from cds.client import apply_suggestion
from tests.cds.fhir_builders import RXNORM, SNOMED, draft_bundle, medication_request
from tests.cds.helpers import run_service, summaries

WARFARIN = ("855332", "Warfarin Sodium 5 MG Oral Tablet")
ASPIRIN = ("243670", "Aspirin 81 MG Oral Tablet")
IBUPROFEN = ("310965", "Ibuprofen 200 MG Oral Tablet")
SIMVASTATIN = ("312961", "Simvastatin 20 MG Oral Tablet")
CLARITHROMYCIN = ("21212", "clarithromycin")
LISINOPRIL = ("314076", "lisinopril 10 MG Oral Tablet")
SPIRONOLACTONE = ("9997", "spironolactone")
AMOXICILLIN = ("308192", "Amoxicillin 500 MG Oral Tablet")
METFORMIN = ("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")
ACETAMINOPHEN = ("313782", "Acetaminophen 325 MG Oral Tablet")


def sign(chart, *drafts: dict, hook: str = "order-sign", **context) -> list[dict]:
    for index, draft in enumerate(drafts):
        draft.setdefault("id", f"draft-{index}")
    context = {
        "userId": "Practitioner/doc",
        "patientId": chart.patient_id,
        "draftOrders": draft_bundle(*drafts),
        **context,
    }
    cards = run_service("medication-safety", hook, context)
    assert response_errors({"cards": cards}) == []
    return cards


def draft(chart, drug: tuple[str, str]) -> dict:
    return medication_request(chart.patient_id, *drug)


def test_interaction_with_an_active_medication(chart):
    chart.medication(*WARFARIN)
    cards = sign(chart, draft(chart, ASPIRIN))
    assert summaries(cards) == [
        "Interaction (major): Aspirin 81 MG Oral Tablet + Warfarin Sodium 5 MG Oral Tablet (active)"
    ]
    cancel = cards[0]["suggestions"][0]["actions"][0]
    assert cancel == {
        "type": "delete",
        "description": "Cancel the draft order for Aspirin 81 MG Oral Tablet",
        "resourceId": "MedicationRequest/draft-0",
    }


@pytest.mark.parametrize(
    ("first", "second", "indicator"),
    [
        (WARFARIN, IBUPROFEN, "warning"),  # class-level: NSAIDs
        (SIMVASTATIN, CLARITHROMYCIN, "critical"),
        (LISINOPRIL, SPIRONOLACTONE, "warning"),
        (
            ("136411", "sildenafil"),
            ("705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"),
            "critical",
        ),
        (("36437", "sertraline"), ("10689", "tramadol"), "warning"),
        (("105586", "Methotrexate 10 MG Oral Tablet"), ("10831", "trimethoprim"), "warning"),
    ],
)
def test_interactions_between_draft_orders(chart, first, second, indicator):
    cards = sign(chart, draft(chart, first), draft(chart, second))
    interactions = [c for c in cards if c["summary"].startswith("Interaction")]
    assert [c["indicator"] for c in interactions] == [indicator]


def test_order_select_checks_only_the_selections(chart):
    chart.medication(*WARFARIN)
    aspirin, tylenol = draft(chart, ASPIRIN), draft(chart, ACETAMINOPHEN)
    aspirin["id"], tylenol["id"] = "a", "t"
    selected = sign(
        chart, aspirin, tylenol, hook="order-select", selections=["MedicationRequest/t"]
    )
    assert selected == []
    selected = sign(
        chart, aspirin, tylenol, hook="order-select", selections=["MedicationRequest/a"]
    )
    assert len(selected) == 1


def test_medication_prescribe_is_an_alias(chart):
    chart.medication(*WARFARIN)
    context = {
        "userId": "Practitioner/doc",
        "patientId": chart.patient_id,
        "medications": draft_bundle({**draft(chart, ASPIRIN), "id": "p1"}),
    }
    cards = run_service("medication-safety", "medication-prescribe", context)
    assert [c["indicator"] for c in cards] == ["warning"]


def test_penicillin_allergy_conflicts_with_amoxicillin(chart):
    chart.allergy(SNOMED, "91936005", "Allergy to penicillin")
    cards = sign(chart, draft(chart, AMOXICILLIN))
    assert summaries(cards) == [
        "Allergy: Amoxicillin 500 MG Oral Tablet conflicts with Allergy to penicillin"
    ]
    assert cards[0]["indicator"] == "critical"


def test_class_allergies_by_ingredient_code(chart):
    chart.allergy(RXNORM, "10180", "sulfamethoxazole")
    chart.allergy(RXNORM, "1191", "Aspirin")
    bactrim = medication_request(chart.patient_id, "10180", "sulfamethoxazole")
    naproxen = medication_request(chart.patient_id, "849574", "Naproxen sodium 220 MG Oral Tablet")
    cards = sign(chart, bactrim, naproxen)
    allergies = sorted(s for s in summaries(cards) if s.startswith("Allergy"))
    assert allergies == [
        "Allergy: Naproxen sodium 220 MG Oral Tablet conflicts with Aspirin",
        "Allergy: sulfamethoxazole conflicts with sulfamethoxazole",
    ]


def test_no_allergy_no_interaction_no_card(chart):
    chart.allergy(SNOMED, "300913006", "Shellfish allergy")
    chart.medication(*LISINOPRIL)
    assert sign(chart, draft(chart, AMOXICILLIN)) == []


def test_duplicate_therapy(chart):
    chart.medication("259255", "Atorvastatin 80 MG Oral Tablet")
    cards = sign(chart, draft(chart, SIMVASTATIN))
    assert summaries(cards) == [
        "Duplicate therapy: Simvastatin 20 MG Oral Tablet and Atorvastatin 80 MG Oral Tablet "
        "(active)"
    ]


def test_metformin_contraindicated_below_egfr_30(chart):
    chart.lab("33914-3", "eGFR", 52, "mL/min/{1.73_m2}", days_ago=90)
    chart.lab("33914-3", "eGFR", 24, "mL/min/{1.73_m2}", days_ago=2)
    cards = sign(chart, draft(chart, METFORMIN))
    assert [(c["summary"], c["indicator"]) for c in cards] == [
        (f"Renal dosing: {METFORMIN[1]} at eGFR 24", "critical")
    ]
    assert cards[0]["suggestions"][0]["actions"][0]["type"] == "delete"


def test_metformin_reduced_at_egfr_38_and_the_update_applies(chart, physician):
    chart.lab("62238-1", "eGFR CKD-EPI", 38, "mL/min/{1.73_m2}", days_ago=5)
    order = draft(chart, METFORMIN)
    order["id"] = chart.add(order)  # the workspace keeps drafts in the store
    cards = sign(chart, order)
    assert [c["indicator"] for c in cards] == ["warning"]
    reduce, cancel = cards[0]["suggestions"]
    assert reduce["isRecommended"] is True
    update = reduce["actions"][0]
    assert update["type"] == "update"
    assert (
        update["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 500
    )
    apply_suggestion(suggestion=reduce, user=physician)
    stored = chart.read(f"MedicationRequest/{order['id']}")
    assert stored["dosageInstruction"][0]["text"].startswith("500 mg by mouth twice daily")
    assert cancel["actions"][0] == {
        "type": "delete",
        "description": f"Cancel the draft order for {METFORMIN[1]}",
        "resourceId": f"MedicationRequest/{order['id']}",
    }


def test_metformin_with_normal_egfr_is_fine(chart):
    chart.lab("33914-3", "eGFR", 75, "mL/min/{1.73_m2}", days_ago=5)
    assert sign(chart, draft(chart, METFORMIN)) == []
