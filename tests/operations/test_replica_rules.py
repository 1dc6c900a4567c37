"""The rules of wintehr/db_routing.py, on a configured replica. Runs in test_replicas.py's
subprocess (DATABASE_REPLICA_URLS set); skipped in an ordinary run, which has no replica."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from clinical.roles import NURSE
from fhirapi.services import FhirRepository
from tests.fhirapi.conftest import FhirClient, patient
from wintehr.db_routing import pin_key, read_alias

pytestmark = [
    pytest.mark.skipif(
        "replica1" not in settings.DATABASES, reason="runs with DATABASE_REPLICA_URLS set"
    ),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def client_for(user) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(user)
    return client


def served_by(call) -> dict[str, int]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as replica,
    ):
        response = call()
    assert response.status_code < 400, response.content
    return {"default": len(primary), "replica1": len(replica)}


def test_reads_outside_transactions_go_to_the_replica():
    assert read_alias() == "replica1"
    with transaction.atomic():
        assert read_alias() == "default"


def test_repository_reads_run_on_the_replica_connection():
    stored = FhirRepository().create(patient()).stored
    with CaptureQueriesContext(connections["replica1"]) as replica:
        FhirRepository().read("Patient", stored.resource_id)
        FhirRepository().search_bundle("Patient", [("family", "Chalmers")], base_url="x")
    assert len(replica) >= 2
    assert connections["default"] is not connections["replica1"]


def test_a_writer_reads_its_writes_from_the_primary(django_user_model, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 10
    writer = django_user_model.objects.create_user("writer")
    reader = django_user_model.objects.create_user("reader")
    nurses = Group.objects.get_or_create(name=NURSE.name)[0]  # may read and create a Patient
    writer.groups.add(nurses)
    reader.groups.add(nurses)
    created = client_for(writer).fhir("POST", "/fhir/Patient", patient())
    assert created.status_code == 201
    assert cache.get(pin_key(writer.pk)) is True
    path = f"/fhir/Patient/{created.json()['id']}"
    by_writer = served_by(lambda: client_for(writer).get(path))
    by_reader = served_by(lambda: client_for(reader).get(path))
    assert by_writer["replica1"] == 0 and by_writer["default"] > 0
    assert by_reader["replica1"] > 0
    cache.delete(pin_key(writer.pk))  # the pin's time is up
    assert served_by(lambda: client_for(writer).get(path))["replica1"] > 0
