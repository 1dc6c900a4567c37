"""Reconnecting with the last sequence seen: the missed changes, or "reload" when not kept."""

import pytest
from asgiref.sync import async_to_sync

from clinical.realtime.log import MemoryTopicLog, topic_log
from tests.clinical.realtime.conftest import Live, new_observation, new_patient, write

pytestmark = pytest.mark.django_db


def test_a_reconnecting_tab_gets_what_it_missed(physician):
    patient_id = new_patient()
    topic = f"chart:{patient_id}"

    async def scenario():
        async with Live(physician) as live:
            seen = (await live.subscribe(topic))["seq"]
        missed = [await write(new_observation, patient_id) for _ in range(3)]
        async with Live(physician) as live:
            subscribed = await live.subscribe(topic, since=seen)
            assert subscribed["seq"] == seen + 3
            changes = [await live.receive_type(("change",)) for _ in missed]
            assert [(c["seq"], c["id"]) for c in changes] == [
                (seen + 1, missed[0]),
                (seen + 2, missed[1]),
                (seen + 3, missed[2]),
            ]
            assert await live.nothing()

    async_to_sync(scenario)()


def test_older_than_kept_is_a_reload(physician, settings):
    settings.REALTIME_KEEP_EVENTS = 2
    topic_log.cache_clear()
    patient_id = new_patient()
    topic = f"chart:{patient_id}"

    async def scenario():
        async with Live(physician) as live:
            seen = (await live.subscribe(topic))["seq"]
        for _ in range(3):
            await write(new_observation, patient_id)
        async with Live(physician) as live:
            subscribed = await live.subscribe(topic, since=seen)
            reload = await live.receive_type(("change", "reload"))
            assert reload == {"type": "reload", "topic": topic, "seq": subscribed["seq"]}

    async_to_sync(scenario)()


def test_a_topic_watched_again_continues_above_its_old_sequences():
    log = MemoryTopicLog(keep=10, resume_seconds=10, presence_seconds=10)
    first = log.watch(["chart:1"])["chart:1"]
    log.append([("chart:1", {"id": "a"})])
    log.topics["chart:1"].watched_until = 0  # nobody watched it for REALTIME_RESUME_SECONDS
    assert log.append([("chart:1", {"id": "b"})]) == []  # not watched: not kept
    again = log.watch(["chart:1"])["chart:1"]
    assert again > first + 1
    assert log.since("chart:1", first + 1) is None  # what happened in between is unknown
    assert log.since("chart:1", again) == []
