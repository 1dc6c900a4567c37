"""Who else has a chart open, and who else is editing a note."""

import pytest
from asgiref.sync import async_to_sync
from django.template.loader import render_to_string

from clinical.fhir.practitioners import practitioner_ensure
from fhirapi.services import FhirRepository
from tests.clinical.realtime.conftest import Live, new_patient

pytestmark = pytest.mark.django_db


def viewers(message: dict) -> list[str]:
    return sorted(v["username"] for v in message["viewers"])


def test_a_chart_shows_who_else_has_it_open(physician, nurse):
    nurse.first_name, nurse.last_name = "Joy", "Nurse"
    nurse.save()
    topic = f"chart:{new_patient()}"

    async def scenario():
        async with Live(physician) as doctor:
            await doctor.subscribe(topic)
            assert viewers(await doctor.receive_type(("presence",))) == ["dr-house"]
            async with Live(nurse) as other:
                await other.subscribe(topic)
                both = await doctor.receive_type(("presence",))
                assert viewers(both) == ["dr-house", "nurse-joy"]
                assert {"username": "nurse-joy", "name": "Joy Nurse"} in both["viewers"]
                assert viewers(await other.receive_type(("presence",))) == [
                    "dr-house",
                    "nurse-joy",
                ]
            left = await doctor.receive_type(("presence",))
            assert viewers(left) == ["dr-house"]

    async_to_sync(scenario)()


def test_a_note_being_edited_by_someone_else_is_flagged(physician, nurse, outsider):
    patient_id = new_patient()
    author = practitioner_ensure(user=physician, repository=FhirRepository())
    note = FhirRepository().create(
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "docStatus": "preliminary",
            "subject": {"reference": f"Patient/{patient_id}"},
            "author": [author],
            "content": [{"attachment": {"contentType": "text/plain", "data": "aGk="}}],
        }
    )
    topic = f"note-edit:{note.stored.resource_id}"

    async def scenario():
        async with Live(physician) as doctor, Live(nurse) as other, Live(outsider) as stranger:
            await doctor.subscribe(topic)
            await other.subscribe(topic)
            while (seen := viewers(await doctor.receive_type(("presence",)))) != [
                "dr-house",
                "nurse-joy",
            ]:
                assert seen == ["dr-house"]
            assert (await stranger.subscribe(topic))["type"] == "denied"

    async_to_sync(scenario)()


def test_the_presence_fragment_names_its_topic():
    html = render_to_string(
        "realtime/_presence.html", {"topic": "note-edit:n1", "label": "Also editing:"}
    )
    assert 'data-live-presence="note-edit:n1"' in html
    assert "Also editing:" in html
    assert "hidden" in html


def test_a_crowd_is_named_in_part_and_counted(physician, nurse, monkeypatch):
    """Presence to 500 viewers must not carry 500 names to each of them."""
    monkeypatch.setattr("clinical.realtime.publish.PRESENCE_NAMES", 1)
    topic = f"chart:{new_patient()}"

    async def scenario():
        async with Live(physician) as doctor, Live(nurse) as other:
            await doctor.subscribe(topic)
            await other.subscribe(topic)
            while (message := await doctor.receive_type(("presence",)))["total"] != 2:
                pass
            assert len(message["viewers"]) == 1

    async_to_sync(scenario)()
