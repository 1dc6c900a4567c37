"""Decision support for a pharmacist reviewing an order: the order-sign hook (cds.client) called
with the order, its cards grouped by the check that raised them."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from cds.client import call_hooks
from clinical.fhir.practitioners import practitioner_reference
from clinical.fhir.reads import Resource, reference_id

# (key, label, words of a card's summary that put it in the group)
GROUPS = (
    ("allergy", "Allergies", ("allerg",)),
    ("interaction", "Drug interactions", ("interaction",)),
    ("duplicate", "Duplicate therapy", ("duplicate",)),
    ("dose", "Dose range and renal dosing", ("dose", "dosing", "renal")),
)


@dataclass
class CheckGroup:
    key: str
    label: str
    cards: list[dict[str, Any]] = field(default_factory=list)

    @property
    def worst(self) -> str:
        indicators = {c.get("indicator") for c in self.cards}
        for indicator in ("critical", "warning", "info"):
            if indicator in indicators:
                return indicator
        return "clear"


@dataclass
class OrderChecks:
    groups: list[CheckGroup]
    other: list[dict[str, Any]]
    failures: list[str]  # services that did not answer, by title

    @property
    def critical(self) -> bool:
        cards = [c for g in self.groups for c in g.cards] + self.other
        return any(c.get("indicator") == "critical" for c in cards)


def order_checks(*, user: AbstractBaseUser, order: Resource) -> OrderChecks:
    patient_id = reference_id(order.get("subject"), "Patient") or ""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"MedicationRequest/{order['id']}", "resource": order}],
    }
    results = call_hooks(
        hook="order-sign",
        context={"userId": practitioner_reference(user)["reference"], "draftOrders": bundle},
        user=user,
        patient_id=patient_id,
    )
    groups = [CheckGroup(key, label) for key, label, _ in GROUPS]
    checks = OrderChecks(groups=groups, other=[], failures=[])
    for result in results:
        if result.failed:
            checks.failures.append(f"{result.service_title}: {result.error}")
            continue
        card = result.card or {}
        summary = str(card.get("summary", "")).lower()
        group = next(
            (
                g
                for g, (_, _, words) in zip(groups, GROUPS, strict=True)
                if any(w in summary for w in words)
            ),
            None,
        )
        (group.cards if group else checks.other).append(card)
    return checks
