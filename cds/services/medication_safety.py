"""order-select / order-sign (and medication-prescribe) "medication safety": drug-drug
interactions, drug-allergy conflicts, duplicate therapy, renal dosing from the latest eGFR and
adult daily dose ranges, for the draft MedicationRequests of `context.draftOrders` (order-select:
the selected ones)."""

from cds.cards import Action, Card, Suggestion
from cds.fhir_values import LOINC, UCUM, age_in_years, effective_time, quantity_value
from cds.medications.checks import (
    AllergyConflict,
    DoseOutOfRange,
    Duplicate,
    Interaction,
    RenalFinding,
    allergy_conflicts,
    allergy_label,
    doses_out_of_range,
    duplicates,
    interactions,
    renal_findings,
)
from cds.medications.drugs import Drug, active_medications, draft_orders
from cds.registry import CdsCall, ServiceDefinition
from cds.services.card_parts import OVERRIDE_REASONS, cancel_order_action, source

EGFR_CODES = ("33914-3", "48642-3", "48643-1", "62238-1", "98979-8")
ADULT_AGE = 18
SEVERITY_INDICATOR = {"contraindicated": "critical", "major": "warning", "moderate": "info"}
SOURCE = source("WintEHR medication safety", "medication-safety", "Medication safety")

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active&_count=200",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}&_count=200",
    "egfr": "Observation?patient={{context.patientId}}&code="
    + ",".join(f"{LOINC}|{code}" for code in EGFR_CODES)
    + "&_sort=-date&_count=1",
}


def run(call: CdsCall) -> list[Card]:
    selected_only = call.request.hook == "order-select"
    new = draft_orders(call.request.context, selected_only=selected_only)
    if not new:
        return []
    all_drafts = draft_orders(call.request.context, selected_only=False)
    drafts_by_reference = {d.reference for d in all_drafts}
    existing = active_medications(
        call.data.resources("medications", "MedicationRequest"), excluding=drafts_by_reference
    )
    others = [d for d in all_drafts if d.reference not in {n.reference for n in new}]
    allergies = call.data.resources("allergies", "AllergyIntolerance")
    return [
        *(_allergy_card(c) for c in allergy_conflicts(new, allergies)),
        *(_interaction_card(i) for i in interactions(new, [*others, *existing])),
        *(_duplicate_card(d) for d in duplicates(new, [*others, *existing])),
        *(_renal_card(f) for f in renal_findings(new, latest_egfr(call))),
        *(_dose_range_card(f) for f in doses_out_of_range(new) if is_adult(call)),
    ]


def is_adult(call: CdsCall) -> bool:
    """The dose ranges are adult ones: not applied to children or when the age is unknown."""
    patient = call.data.resource("patient") or {}
    age = age_in_years(patient.get("birthDate"), call.now.date())
    return age is not None and age >= ADULT_AGE


def latest_egfr(call: CdsCall) -> float | None:
    results = [
        o
        for o in call.data.resources("egfr", "Observation")
        if o.get("status") in ("final", "amended", "corrected") and effective_time(o)
    ]
    if not results:
        return None
    return quantity_value(max(results, key=effective_time).get("valueQuantity"))


def _cancel(drug: Drug, *, recommended: bool) -> Suggestion:
    return Suggestion(
        f"Cancel {drug.name}",
        (cancel_order_action(drug.reference, drug.name),),
        is_recommended=recommended,
    )


def _allergy_card(conflict: AllergyConflict) -> Card:
    allergy = allergy_label(conflict.allergy)
    via = f" ({conflict.allergy_class.name})" if conflict.allergy_class else ""
    return Card(
        summary=f"Allergy: {conflict.drug.name} conflicts with {allergy}",
        indicator="critical",
        source=SOURCE,
        detail=f"The patient has a recorded allergy to **{allergy}**{via}; "
        f"**{conflict.drug.name}** belongs to it.",
        suggestions=(_cancel(conflict.drug, recommended=True),),
        override_reasons=OVERRIDE_REASONS,
    )


def _interaction_card(found: Interaction) -> Card:
    other = found.other.name + ("" if found.other.draft else " (active)")
    return Card(
        summary=f"Interaction ({found.rule.severity}): {found.new.name} + {other}",
        indicator=SEVERITY_INDICATOR[found.rule.severity],
        source=SOURCE,
        detail=f"**{found.new.name}** with **{other}**: {found.rule.mechanism}",
        suggestions=(_cancel(found.new, recommended=found.rule.severity == "contraindicated"),),
        override_reasons=OVERRIDE_REASONS,
    )


def _duplicate_card(found: Duplicate) -> Card:
    other = found.other.name + ("" if found.other.draft else " (active)")
    return Card(
        summary=f"Duplicate therapy: {found.new.name} and {other}",
        indicator="warning",
        source=SOURCE,
        detail=f"**{found.new.name}** and **{other}** are both {found.class_name}.",
        suggestions=(_cancel(found.new, recommended=False),),
        override_reasons=OVERRIDE_REASONS,
    )


def _renal_card(found: RenalFinding) -> Card:
    drug, rule = found.drug, found.rule
    egfr = f"{found.egfr:g}"
    if rule.action == "avoid":
        suggestions = (_cancel(drug, recommended=True),)
        indicator = "critical"
    else:
        suggestions = (_reduce(drug, rule.dose or {}), _cancel(drug, recommended=False))
        indicator = "warning"
    return Card(
        summary=f"Renal dosing: {drug.name} at eGFR {egfr}",
        indicator=indicator,
        source=SOURCE,
        detail=f"Latest eGFR is **{egfr} mL/min/1.73 m²**. {rule.message}",
        suggestions=suggestions,
        override_reasons=OVERRIDE_REASONS,
    )


def _dose_range_card(found: DoseOutOfRange) -> Card:
    limit, per = found.limit, "week" if found.limit.per == "wk" else "day"
    usual = f"{limit.min:g}-{limit.max:g} mg a {per}"
    if found.above:
        # twice the maximum or more is most likely a slip of unit or frequency
        indicator = "critical" if found.amount >= 2 * limit.max else "warning"
        summary = f"Dose above range: {found.ingredient} {found.amount:g} mg a {per}"
        suggestions = (_cancel(found.drug, recommended=indicator == "critical"),)
    else:
        indicator, suggestions = "info", ()
        summary = f"Dose below range: {found.ingredient} {found.amount:g} mg a {per}"
    return Card(
        summary=f"{summary} (usual {usual})",
        indicator=indicator,
        source=SOURCE,
        detail=f"**{found.drug.name}** as ordered gives {found.amount:g} mg of {found.ingredient} "
        f"a {per}; the usual adult dose is {usual}. {limit.note}",
        suggestions=suggestions,
        override_reasons=OVERRIDE_REASONS,
    )


def _reduce(drug: Drug, dose: dict) -> Suggestion:
    dosage = {
        "text": dose.get("text", ""),
        "timing": {
            "repeat": {
                "frequency": dose.get("frequency", 1),
                "period": dose.get("period", 1),
                "periodUnit": dose.get("periodUnit", "d"),
            }
        },
        "doseAndRate": [
            {
                "doseQuantity": {
                    "value": dose.get("value"),
                    "unit": dose.get("unit"),
                    "system": UCUM,
                    "code": dose.get("unit"),
                }
            }
        ],
    }
    adjusted = {**drug.request, "dosageInstruction": [dosage]}
    action = Action(
        type="update",
        description=f"Change {drug.name} to {dose.get('text', 'the renal dose')}",
        resource=adjusted,
    )
    return Suggestion(f"Use renal dose: {dose.get('text', '')}", (action,), is_recommended=True)


SERVICE = ServiceDefinition(
    id="medication-safety",
    hooks=("order-select", "order-sign"),
    title="Medication safety",
    description="Drug-drug interactions, drug-allergy conflicts, duplicate therapy, renal "
    "dosing (latest eGFR) and adult dose ranges for draft medication orders.",
    run=run,
    prefetch=PREFETCH,
)
