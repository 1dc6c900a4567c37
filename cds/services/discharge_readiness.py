"""encounter-discharge "discharge readiness": results still pending for this encounter, and
medications not yet reconciled.

- Pending: an active ServiceRequest of the encounter with no Observation or DiagnosticReport
  `basedOn` it yet, and Observations of the encounter still `registered` or `preliminary`.
- Unreconciled: an active MedicationRequest or MedicationStatement of the patient that no
  medication reconciliation since the encounter's start lists: a `List` with `code` medications
  (list-example-use-codes), `status` current and `date` at or after the start, with an `entry`
  whose `item` refers to it. The workspace's reconciliation screen writes that List
  (clinical/medications/reconciliation.py), and so can any FHIR client."""

from cds.cards import Card
from cds.fhir_values import (
    Resource,
    concept_text,
    parse_datetime,
    reference_to,
)
from cds.medications.drugs import ACTIVE_STATUSES, drug_from_request
from cds.registry import CdsCall, ServiceDefinition
from cds.services.card_parts import OVERRIDE_REASONS, source

RECONCILIATION = "http://terminology.hl7.org/CodeSystem/list-example-use-codes|medications"
SOURCE = source("WintEHR discharge readiness", "discharge", "Discharge readiness")
PREFETCH = {
    "encounter": "Encounter/{{context.encounterId}}",
    "orders": "ServiceRequest?patient={{context.patientId}}&encounter={{context.encounterId}}"
    "&status=active&_count=200",
    "pendingResults": "Observation?patient={{context.patientId}}"
    "&encounter={{context.encounterId}}&status=registered,preliminary&_count=200",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active&_count=200",
    "statements": "MedicationStatement?patient={{context.patientId}}"
    "&status=active,on-hold&_count=200",
    "reconciliations": f"List?patient={{{{context.patientId}}}}&code={RECONCILIATION}"
    "&status=current&_count=50",
}


def run(call: CdsCall) -> list[Card]:
    pending = [*_orders_without_results(call), *_pending_observations(call)]
    unreconciled = _unreconciled(call)
    cards = []
    if pending:
        cards.append(_pending_card(pending))
    if unreconciled:
        cards.append(_reconcile_card(unreconciled))
    return cards


def _orders_without_results(call: CdsCall) -> list[str]:
    orders = [
        o for o in call.data.resources("orders", "ServiceRequest") if o.get("status") == "active"
    ]
    if not orders:
        return []
    references = ",".join(reference_to(o) for o in orders)
    results = [
        *call.data.search(f"Observation?based-on={references}&_count=200"),
        *call.data.search(f"DiagnosticReport?based-on={references}&_count=200"),
    ]
    answered = {
        b.get("reference")
        for r in results
        if r.get("status") not in ("registered", "cancelled", "entered-in-error")
        for b in r.get("basedOn") or []
    }
    return [
        f"{concept_text(o.get('code'), 'order')} (ordered, no result)"
        for o in orders
        if reference_to(o) not in answered
    ]


def _pending_observations(call: CdsCall) -> list[str]:
    return [
        f"{concept_text(o.get('code'), 'result')} ({o.get('status')})"
        for o in call.data.resources("pendingResults", "Observation")
        if o.get("status") in ("registered", "preliminary")
    ]


def _unreconciled(call: CdsCall) -> list[str]:
    encounter = call.data.resource("encounter") or {}
    started = parse_datetime((encounter.get("period") or {}).get("start"))
    reconciled = reconciled_since(call.data.resources("reconciliations", "List"), since=started)
    medications = [
        *call.data.resources("medications", "MedicationRequest"),
        *call.data.resources("statements", "MedicationStatement"),
    ]
    return [
        drug_from_request(m, draft=False).name
        for m in medications
        if m.get("status") in ACTIVE_STATUSES and reference_to(m) not in reconciled
    ]


def reconciled_since(reconciliations: list[Resource], *, since) -> set[str]:
    """References listed by the current medication reconciliations dated at or after `since`."""
    listed = set()
    for reconciliation in reconciliations:
        when = parse_datetime(reconciliation.get("date"))
        if reconciliation.get("status") != "current" or when is None:
            continue
        if since is None or when >= since:
            listed |= {
                (e.get("item") or {}).get("reference") for e in reconciliation.get("entry") or []
            }
    return listed


def _pending_card(pending: list[str]) -> Card:
    return Card(
        summary=f"{len(pending)} result(s) pending at discharge",
        indicator="warning",
        source=SOURCE,
        detail="Results not yet final for this encounter:\n\n"
        + "\n".join(f"- {item}" for item in pending)
        + "\n\nArrange follow-up of these results before discharge.",
        override_reasons=OVERRIDE_REASONS,
    )


def _reconcile_card(names: list[str]) -> Card:
    return Card(
        summary=f"{len(names)} medication(s) not reconciled for discharge",
        indicator="warning",
        source=SOURCE,
        detail="Decide continue, change or stop for:\n\n" + "\n".join(f"- {n}" for n in names),
        override_reasons=OVERRIDE_REASONS,
    )


SERVICE = ServiceDefinition(
    id="discharge-readiness",
    hooks=("encounter-discharge",),
    title="Discharge readiness",
    description="Results still pending for the encounter and active medications not yet "
    "reconciled for discharge.",
    run=run,
    prefetch=PREFETCH,
)
