"""Pieces the built-in services' cards share: sources, override reasons, common actions."""

from cds.cards import Action, Coding, Source

WINTEHR_TOPICS = "http://wintehr.dev/fhir/CodeSystem/cds-topic"


def source(label: str, topic: str, topic_display: str) -> Source:
    return Source(label=label, topic=Coding(topic, topic_display, system=WINTEHR_TOPICS))


OVERRIDE_REASONS = (
    Coding("benefit-outweighs-risk", "Benefit outweighs risk"),
    Coding("already-tolerated", "Patient already tolerates this therapy"),
    Coding("will-monitor", "Will monitor and adjust"),
    Coding("not-applicable", "Not applicable to this patient"),
)


def cancel_order_action(reference: str, name: str) -> Action:
    return Action(
        type="delete", description=f"Cancel the draft order for {name}", resource_id=reference
    )
