"""/ws/live/: subscribing, permission on subscribe and on every message, changes within a second."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser

from clinical.chart_access.services import chart_restrict
from clinical.realtime.consumers import LiveConsumer
from fhirapi.services import FhirRepository
from tests.clinical.realtime.conftest import Live, new_observation, new_patient, write
from tests.websocket_client import WebsocketCommunicator

pytestmark = pytest.mark.django_db


def test_a_change_reaches_the_chart_within_a_second(physician):
    patient_id = new_patient()

    async def scenario():
        async with Live(physician) as live:
            subscribed = await live.subscribe(f"chart:{patient_id}")
            assert subscribed["type"] == "subscribed"
            observation_id = await write(new_observation, patient_id)
            change = await live.receive_type(("change",), timeout=1.0)
            assert change == {
                "type": "change",
                "topic": f"chart:{patient_id}",
                "seq": subscribed["seq"] + 1,
                "resourceType": "Observation",
                "id": observation_id,
                "versionId": 1,
                "action": "create",
            }

    async_to_sync(scenario)()


def test_other_patients_changes_do_not_arrive(physician):
    mine, other = new_patient("Mine"), new_patient("Other")

    async def scenario():
        async with Live(physician) as live:
            await live.subscribe(f"chart:{mine}")
            await write(new_observation, other)
            assert await live.nothing()

    async_to_sync(scenario)()


def test_anonymous_sockets_are_closed():
    async def scenario():
        communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
        communicator.scope["user"] = AnonymousUser()
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4401

    async_to_sync(scenario)()


def test_a_chart_closed_to_the_user_is_denied(outsider, front_desk):
    patient_id = new_patient()

    async def scenario():
        for user in (outsider, front_desk):
            async with Live(user) as live:
                denied = await live.subscribe(f"chart:{patient_id}")
                assert denied == {
                    "type": "denied",
                    "topic": f"chart:{patient_id}",
                    "reason": "forbidden",
                }
                await write(new_observation, patient_id)
                assert await live.nothing()

    async_to_sync(scenario)()


def test_unknown_topics_are_denied(physician):
    async def scenario():
        async with Live(physician) as live:
            for topic in ("chart:", "chart:a/b", "nonsense:1", "pharmacy-queue:x", 7):
                assert (await live.subscribe(topic))["reason"] == "unknown topic"

    async_to_sync(scenario)()


def test_permission_is_checked_again_for_every_message(physician, nurse, administrator):
    """Restricting the chart to a care team without the physician stops the flow at once."""
    patient_id = new_patient()

    async def scenario():
        async with Live(physician) as live:
            await live.subscribe(f"chart:{patient_id}")
            await write(new_observation, patient_id)
            assert (await live.receive_type(("change",)))["resourceType"] == "Observation"
            await write(
                chart_restrict, patient_id=patient_id, acting_user=administrator, care_team=[nurse]
            )
            await write(new_observation, patient_id)
            denied = await live.receive_type(("change", "denied"))
            assert denied["type"] == "denied"
            await write(new_observation, patient_id)
            assert await live.nothing()

    async_to_sync(scenario)()


def test_the_pharmacy_queue_is_for_pharmacists(pharmacist, nurse):
    patient_id = new_patient()
    order = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "amoxicillin 500 mg"},
        "subject": {"reference": f"Patient/{patient_id}"},
    }

    async def scenario():
        async with Live(pharmacist) as live, Live(nurse) as other:
            assert (await live.subscribe("pharmacy-queue"))["type"] == "subscribed"
            assert (await other.subscribe("pharmacy-queue"))["type"] == "denied"
            await write(FhirRepository().create, order)
            change = await live.receive_type(("change",))
            assert (change["topic"], change["resourceType"]) == (
                "pharmacy-queue",
                "MedicationRequest",
            )
            assert await other.nothing()

    async_to_sync(scenario)()


def test_queue_messages_about_a_closed_chart_are_not_delivered(pharmacist, nurse, administrator):
    open_chart, closed_chart = new_patient("Open"), new_patient("Closed")
    chart_restrict(patient_id=closed_chart, acting_user=administrator, care_team=[nurse])

    def order(patient_id: str) -> dict:
        return {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "paracetamol"},
            "subject": {"reference": f"Patient/{patient_id}"},
        }

    async def scenario():
        async with Live(pharmacist) as live:
            await live.subscribe("pharmacy-queue")
            await write(FhirRepository().create, order(closed_chart))
            assert await live.nothing()
            await write(FhirRepository().create, order(open_chart))
            assert (await live.receive_type(("change",)))["resourceType"] == "MedicationRequest"

    async_to_sync(scenario)()


def test_a_results_inbox_is_its_owners_only(physician, nurse):
    async def scenario():
        async with Live(physician) as live:
            own = await live.subscribe(f"results-inbox:{physician.username}")
            other = await live.subscribe(f"results-inbox:{nurse.username}")
            assert (own["type"], other["type"]) == ("subscribed", "denied")

    async_to_sync(scenario)()


def test_results_reach_the_inbox_of_the_clinician_who_ordered(physician, nurse):
    from clinical.fhir.practitioners import practitioner_ensure

    patient_id = new_patient()
    requester = practitioner_ensure(user=physician, repository=FhirRepository())
    FhirRepository().create(
        {
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "code": {"text": "Basic metabolic panel"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "requester": requester,
        }
    )

    async def scenario():
        async with Live(physician) as live, Live(nurse) as other:
            await live.subscribe(f"results-inbox:{physician.username}")
            await other.subscribe(f"results-inbox:{nurse.username}")
            observation_id = await write(new_observation, patient_id)
            change = await live.receive_type(("change",))
            assert (change["topic"], change["id"]) == (
                f"results-inbox:{physician.username}",
                observation_id,
            )
            assert await other.nothing()

    async_to_sync(scenario)()


def test_a_ward_hears_of_encounters_in_its_beds(nurse):
    repository = FhirRepository()
    ward = repository.create({"resourceType": "Location", "name": "Ward 4"}).stored.resource_id
    bed = repository.create(
        {"resourceType": "Location", "name": "Bed 2", "partOf": {"reference": f"Location/{ward}"}}
    ).stored.resource_id
    elsewhere = repository.create({"resourceType": "Location", "name": "ICU"}).stored.resource_id
    patient_id = new_patient()

    def admit(location_id: str) -> str:
        encounter = {
            "resourceType": "Encounter",
            "status": "in-progress",
            "class": {"code": "IMP"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "location": [{"location": {"reference": f"Location/{location_id}"}}],
        }
        return FhirRepository().create(encounter).stored.resource_id

    async def scenario():
        async with Live(nurse) as live:
            await live.subscribe(f"ward:{ward}")
            await write(admit, elsewhere)
            assert await live.nothing()
            encounter_id = await write(admit, bed)
            change = await live.receive_type(("change",))
            assert (change["topic"], change["id"]) == (f"ward:{ward}", encounter_id)

    async_to_sync(scenario)()
