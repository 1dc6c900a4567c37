"""The store's change events: the patients of the compartment, one batch per transaction, none
for rolled-back work."""

import pytest
from django.db import transaction
from django.test import TestCase

from fhirapi.services import FhirRepository
from fhirapi.store import events
from tests.clinical.realtime.conftest import new_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def batches():
    received: list[list[events.ResourceChanged]] = []
    remove = events.subscribe_batch(received.append)
    yield received
    remove()


def observation(patient_id: str) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pulse"},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def test_events_name_the_patients_of_the_compartment(batches):
    patient_id = new_patient()
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = FhirRepository().create(observation(patient_id))
    [[event]] = batches
    assert event == events.ResourceChanged(
        "Observation", created.stored.resource_id, 1, "create", (patient_id,)
    )


def test_a_resource_moved_to_another_patient_concerns_both(batches):
    first, second = new_patient("First"), new_patient("Second")
    created = FhirRepository().create(observation(first))
    moved = {**created.stored.content, "subject": {"reference": f"Patient/{second}"}}
    with TestCase.captureOnCommitCallbacks(execute=True):
        FhirRepository().update("Observation", created.stored.resource_id, moved)
    assert batches[-1][0].patient_ids == tuple(sorted((first, second)))


def test_deletions_name_the_patients_of_the_deleted_content(batches):
    patient_id = new_patient()
    created = FhirRepository().create(observation(patient_id))
    with TestCase.captureOnCommitCallbacks(execute=True):
        FhirRepository().delete("Observation", created.stored.resource_id)
    assert batches[-1][0].action == "delete"
    assert batches[-1][0].patient_ids == (patient_id,)


def test_rolled_back_savepoints_are_not_announced(batches):
    patient_id = new_patient()
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        kept = FhirRepository().create(observation(patient_id)).stored.resource_id
        try:
            with transaction.atomic():
                FhirRepository().create(observation(patient_id))
                raise RuntimeError("roll this back")
        except RuntimeError:
            pass
        also_kept = FhirRepository().create(observation(patient_id)).stored.resource_id
    assert [[e.resource_id for e in batch] for batch in batches] == [[kept], [also_kept]]


def test_a_bundle_is_one_batch(batches):
    patient_id = new_patient()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": observation(patient_id),
                "request": {"method": "POST", "url": "Observation"},
            }
            for _ in range(5)
        ],
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        FhirRepository().transaction(bundle, base_url="http://testserver/fhir")
    assert len(batches) == 1
    assert [e.patient_ids for e in batches[0]] == [(patient_id,)] * 5
