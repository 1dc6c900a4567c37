"""One decision per change for all the followers of a topic in a process (clinical/realtime/hub.py),
and still nobody receives what they may not see."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinical.chart_access.selectors import chart_access_check, chart_open_to
from clinical.chart_access.services import break_glass, chart_restrict
from clinical.realtime.topics import Topic, message_recipients
from clinical.roles import ensure_role_groups
from fhirapi.services import FhirRepository
from tests.clinical.realtime.conftest import Live, new_observation, new_patient, write

pytestmark = pytest.mark.django_db


def physicians(count: int, prefix: str = "fan-out") -> list:
    group = ensure_role_groups()["physician"]
    users = []
    for number in range(count):
        user = get_user_model().objects.create_user(f"{prefix}-{number}")
        user.groups.add(group)
        users.append(user)
    return users


def test_followers_of_one_chart_each_get_only_what_they_may_see(physician, nurse, administrator):
    patient_id = new_patient()
    topic = f"chart:{patient_id}"

    async def scenario():
        async with Live(physician) as doctor, Live(nurse) as carer, Live(physician) as second_tab:
            for live in (doctor, carer, second_tab):
                assert (await live.subscribe(topic))["type"] == "subscribed"
            observation_id = await write(new_observation, patient_id)
            for live in (doctor, carer, second_tab):
                assert (await live.receive_type(("change",)))["id"] == observation_id
            await write(
                chart_restrict, patient_id=patient_id, acting_user=administrator, care_team=[nurse]
            )
            observation_id = await write(new_observation, patient_id)
            assert (await carer.receive_type(("change",)))["id"] == observation_id
            for live in (doctor, second_tab):
                assert (await live.receive_type(("change", "denied")))["type"] == "denied"
            await write(new_observation, patient_id)
            assert (await carer.receive_type(("change",)))["type"] == "change"
            assert await doctor.nothing() and await second_tab.nothing()

    async_to_sync(scenario)()


def test_a_process_follows_a_topic_once_however_many_tabs(physician, nurse):
    patient_id = new_patient()
    group = Topic("chart", patient_id).group

    async def scenario():
        layer = get_channel_layer()
        async with Live(physician) as first, Live(nurse) as second:
            await first.subscribe(f"chart:{patient_id}")
            await second.subscribe(f"chart:{patient_id}")
            assert len(layer.groups[group]) == 1  # the hub's channel, not one per socket
            await first.send(action="unsubscribe", topic=f"chart:{patient_id}")
            assert await first.nothing()
            await write(new_observation, patient_id)
            assert (await second.receive_type(("change",)))["resourceType"] == "Observation"
            assert await first.nothing()
            assert len(layer.groups[group]) == 1
        assert not layer.groups.get(group)  # the last one left: so did the process

    async_to_sync(scenario)()


def test_queue_followers_are_decided_one_by_one_for_a_closed_chart(
    pharmacist, nurse, administrator
):
    """A pharmacist in the care team hears of the order; another pharmacist does not."""
    colleague = get_user_model().objects.create_user("second-pharmacist")
    colleague.groups.add(ensure_role_groups()["pharmacist"])
    patient_id = new_patient()
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[pharmacist, nurse])
    order = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "heparin"},
        "subject": {"reference": f"Patient/{patient_id}"},
    }

    async def scenario():
        async with Live(pharmacist) as member, Live(colleague) as other:
            await member.subscribe("pharmacy-queue")
            await other.subscribe("pharmacy-queue")
            await write(FhirRepository().create, order)
            assert (await member.receive_type(("change",)))["resourceType"] == "MedicationRequest"
            assert await other.nothing()

    async_to_sync(scenario)()


def test_the_batched_decision_is_the_chart_access_decision(
    physician, nurse, pharmacist, front_desk, outsider, administrator
):
    patient_id = new_patient()
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[nurse])
    (breaker,) = physicians(1, "breaker")
    break_glass(user=breaker, patient_id=patient_id, reason="covering the ward tonight")
    superuser = get_user_model().objects.create_superuser("root-fan-out")
    inactive = get_user_model().objects.create_user("gone-fan-out", is_active=False)
    inactive.groups.add(ensure_role_groups()["nurse"])
    cast = [physician, nurse, pharmacist, front_desk, outsider, administrator, superuser, inactive]
    cast.append(breaker)
    decided = {}
    for patient in (patient_id, new_patient("Open")):
        expected = {u.pk for u in cast if chart_access_check(user=u, patient_id=patient).allowed}
        decided[patient] = chart_open_to(users=cast, patient_id=patient)
        assert decided[patient] == expected
    assert {nurse.pk, breaker.pk, superuser.pk} <= decided[patient_id]  # team, glass, root
    assert not {physician.pk, pharmacist.pk, outsider.pk, inactive.pk} & decided[patient_id]


@pytest.mark.parametrize("restricted", [False, True])
def test_queries_do_not_grow_with_the_followers(administrator, restricted):
    patient_id = new_patient()
    few, many = physicians(3, "few"), physicians(40, "many")
    if restricted:
        chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=many[:10])
    counts = []
    for users in (few, many):
        for user in users:
            user.has_perm("clinical.view_chart")  # as after subscribing: the role is known
        with CaptureQueriesContext(connection) as queries:
            following, allowed = message_recipients(
                users=users, topic=Topic("chart", patient_id), patient_ids=[patient_id]
            )
        counts.append(len(queries))
        assert following == allowed
        team = {u.pk for u in many[:10]} if restricted else {u.pk for u in users}
        assert allowed == team & {u.pk for u in users}
    assert counts[0] == counts[1]
