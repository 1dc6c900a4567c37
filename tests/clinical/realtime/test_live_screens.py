"""The screens follow their topics: a ward list and a results inbox re-fetch themselves when a
change concerns them, and a draft note's editor shows who else is editing it."""

import re

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse
from django.utils import timezone

from clinical.fhir.practitioners import practitioner_ensure
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX
from tests.clinical.realtime.conftest import Live, write

pytestmark = pytest.mark.django_db


def live_element(html: str) -> tuple[str, int, str, str]:
    """(topic, since, hx-get URL, hx-target) of the page's live element."""
    found = re.search(r'<div[^>]*data-live-topic="([^"]+)" data-live-since="(\d+)"[^>]*>', html)
    assert found, html
    element = found.group(0)
    url = re.search(r'hx-get="([^"]+)"', element).group(1).replace("&amp;", "&")
    target = re.search(r'hx-target="([^"]+)"', element).group(1)
    return found.group(1), int(found.group(2)), url, target


def change_arrives(user, topic: str, since: int, make_change) -> dict:
    """Follow the topic as the page says, make the change; the change message the socket gets."""

    async def scenario():
        async with Live(user) as live:
            assert (await live.subscribe(topic, since=since))["type"] == "subscribed"
            await write(make_change)
            return await live.receive_type(("change",))

    return async_to_sync(scenario)()


def test_the_ward_list_updates_when_a_patient_is_admitted(nurse, as_nurse):
    ward = f.create(f.location("Ward 9"))
    bed = f.create(f.location("Ward 9, bed 1", kind="bd", part_of=ward))
    patient_id = f.create(f.patient("Mbeki", "Thandi"))
    fragment = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ward-list"}
    html = as_nurse.get(reverse("finder"), {"location": ward}, **fragment).content.decode()
    assert "Nobody is on this ward now." in html
    topic, since, url, target = live_element(html)
    assert (topic, target) == (f"ward:{ward}", "#ward-list")

    change = change_arrives(
        nurse, topic, since, lambda: f.create(f.encounter(patient_id, location_id=bed))
    )
    assert change["resourceType"] == "Encounter" and change["seq"] == since + 1
    refreshed = as_nurse.get(url, **fragment).content.decode()
    assert "MBEKI, Thandi" in refreshed and "<h1>" not in refreshed


def test_the_results_inbox_updates_when_a_result_of_my_patient_arrives(
    physician, as_physician, patient_id
):
    me = practitioner_ensure(user=physician, repository=FhirRepository())["reference"]
    f.create(f.service_request(patient_id, requester=me))
    page = as_physician.get(reverse("results-inbox")).content.decode()
    assert "No new results." in page
    topic, since, url, target = live_element(page)
    assert (topic, target) == (f"results-inbox:{physician.username}", "this")

    change = change_arrives(
        physician, topic, since, lambda: f.create(f.lab(patient_id, value=6.1, when=timezone.now()))
    )
    assert change["resourceType"] == "Observation"
    refreshed = as_physician.get(url, **{**HTMX, "HTTP_HX_TARGET": "inbox-results"})
    refreshed = refreshed.content.decode()
    assert "OKAFOR, Amara" in refreshed and "6.1" in refreshed
    assert 'id="inbox-results"' in refreshed
    assert "<h1>Results inbox</h1>" not in refreshed


def test_a_draft_notes_editor_flags_other_editors(patient_id, as_physician):
    new_note = reverse("chart-note-new", kwargs={"patient_id": patient_id})
    data = {"title": "Round", "type_code": "11506-3", "soap": "True", "subjective": "Well"}
    saved = as_physician.post(new_note, {**data, "save": "1"}, **HTMX)
    note_id = saved["HX-Replace-Url"].rstrip("/").rsplit("/", 1)[1]
    editor = as_physician.get(saved["HX-Replace-Url"]).content.decode()
    assert f'data-live-presence="note-edit:{note_id}"' in editor
    assert "Also editing this note:" in editor
    blank = as_physician.get(new_note).content.decode()
    assert "note-edit:" not in blank  # nothing to share before the draft exists
