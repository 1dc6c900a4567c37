"""Producers: every committed change of the FHIR store is published here, after commit, to the
topics it concerns (a FHIR client's write, another clinician's screen, an import, a Celery task:
they all write through the store, whose change events call `changes_publish`).

One transaction is one call: its events are routed (topics.py), given their topics' sequences
(log.py, one round trip), and sent to the channel layer groups without waiting for the sends, so
the write path pays microseconds (wintehr/channel_send.py says where the sends run).
"""

from typing import Literal, TypedDict

from clinical.realtime.log import Payload, topic_log
from clinical.realtime.topics import WatchedTopics, topic_parse, topics_for
from fhirapi.store.events import ResourceChanged
from wintehr.channel_send import group_send_all

PRESENCE_NAMES = 20


class ChangeMessage(TypedDict):
    """What the browser gets for a change: enough to decide what to re-fetch, no content."""

    type: Literal["change"]
    topic: str
    seq: int
    resourceType: str
    id: str
    versionId: int
    action: str


class Viewer(TypedDict):
    username: str
    name: str


class PresenceMessage(TypedDict):
    """Who follows the topic: the first PRESENCE_NAMES of them by name, and how many in all."""

    type: Literal["presence"]
    topic: str
    viewers: list[Viewer]
    total: int


class GroupChange(TypedDict):
    """The channel layer message; `patients` stays on the server (permission re-checks)."""

    type: Literal["live.change"]
    message: ChangeMessage
    patients: list[str]


class GroupPresence(TypedDict):
    type: Literal["live.presence"]
    message: PresenceMessage


def changes_publish(events: list[ResourceChanged]) -> None:
    """The store's batch subscriber (registered in apps.py): publish one committed transaction."""
    log = topic_log()
    routed = topics_for(events, watched=WatchedTopics(log))
    if not routed:
        return
    stored = log.append([(topic, change_payload(event)) for topic, event in routed])
    group_send_all([group_change(topic, seq, payload) for topic, seq, payload in stored])


def change_payload(event: ResourceChanged) -> Payload:
    """What the log keeps of a change (the sequence and topic are added when sent)."""
    return {
        "resourceType": event.resource_type,
        "id": event.resource_id,
        "versionId": event.version_id,
        "action": event.action,
        "patients": list(event.patient_ids),
    }


def change_message(topic: str, seq: int, payload: Payload) -> ChangeMessage:
    return ChangeMessage(
        type="change",
        topic=topic,
        seq=seq,
        resourceType=payload["resourceType"],
        id=payload["id"],
        versionId=payload["versionId"],
        action=payload["action"],
    )


def group_change(topic: str, seq: int, payload: Payload) -> tuple[str, GroupChange]:
    parsed = topic_parse(topic)
    assert parsed is not None, topic  # routed topics are well formed
    message = GroupChange(
        type="live.change",
        message=change_message(topic, seq, payload),
        patients=payload.get("patients", []),
    )
    return parsed.group, message


def presence_message(topic: str, viewers: list[Viewer]) -> tuple[str, GroupPresence]:
    """A screen names a few viewers; sending all of 500 to each of 500 would be 250,000 names."""
    parsed = topic_parse(topic)
    assert parsed is not None, topic
    named = sorted(viewers, key=lambda v: (v["name"], v["username"]))[:PRESENCE_NAMES]
    message = PresenceMessage(type="presence", topic=topic, viewers=named, total=len(viewers))
    return parsed.group, GroupPresence(type="live.presence", message=message)
