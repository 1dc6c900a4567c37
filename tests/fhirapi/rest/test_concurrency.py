import threading

import pytest
from django.db import connection

from fhirapi.errors import VersionConflict
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceVersion
from tests.fhirapi.conftest import patient


@pytest.mark.django_db(transaction=True)
def test_two_updates_with_the_same_if_match_exactly_one_wins():
    created = FhirRepository().create(patient()).stored
    pid = created.resource_id
    barrier = threading.Barrier(2)
    results: list[str] = []

    def update(gender: str) -> None:
        try:
            barrier.wait(timeout=10)
            FhirRepository().update("Patient", pid, patient(id=pid, gender=gender), if_match=1)
            results.append("won")
        except VersionConflict:
            results.append("412")
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(g,)) for g in ("female", "other")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["412", "won"]
    versions = ResourceVersion.objects.filter(resource_id=pid).order_by("version_id")
    assert [v.version_id for v in versions] == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_concurrent_update_as_create_of_one_id_makes_one_resource():
    barrier = threading.Barrier(4)

    def put() -> None:
        try:
            barrier.wait(timeout=10)
            FhirRepository().update("Patient", "race-1", patient(id="race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    versions = sorted(v.version_id for v in ResourceVersion.objects.filter(resource_id="race-1"))
    assert versions == [1, 2, 3, 4]
