"""The bulk import path (COPY of records, versions and index rows in batches) leaves exactly the
search index rows that the normal write path (one FhirRepository write per resource) leaves for
the same resources."""

import orjson
from django.db import connection

from fhirapi.bulk.bundles import bundle_resources
from fhirapi.bulk.conditional import ReferenceResolver
from fhirapi.bulk.importer import Importer
from fhirapi.search.indexing import ALL_TABLES
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.bulk.conftest import BUNDLE, NDJSON_DIR, store_wipe

RECORDS = ResourceRecord._meta.db_table


def index_rows() -> dict[str, list[tuple]]:
    """Every index row, per table, keyed by its resource's type and id instead of record ids."""
    rows = {}
    with connection.cursor() as cursor:
        for table in ALL_TABLES:
            cursor.execute(
                f"SELECT r.resource_type, r.resource_id, t.* FROM {table} t "
                f"JOIN {RECORDS} r ON r.id = t.record_id"
            )
            names = [column.name for column in cursor.description]
            kept = [i for i, name in enumerate(names) if name not in ("id", "record_id")]
            rows[table] = sorted(
                (tuple(str(row[i]) for i in kept) for row in cursor.fetchall()), key=repr
            )
    return rows


def normal_writes(resources: list[dict]) -> None:
    repository = FhirRepository(lenient_references=True)
    for resource in resources:
        repository.update(resource["resourceType"], resource["id"], resource)


def test_a_bundle_imported_in_bulk_is_indexed_as_the_normal_path_indexes_it(db):
    [result] = Importer().import_paths([BUNDLE])
    assert result.ok and result.counts.created > 100
    bulk = index_rows()
    store_wipe()
    resolver = ReferenceResolver(FhirRepository(lenient_references=True))
    normal_writes(bundle_resources(orjson.loads(BUNDLE.read_bytes()), resolver))

    normal = index_rows()
    assert sum(map(len, normal.values())) > 1000
    assert bulk == normal


def test_ndjson_imported_in_bulk_is_indexed_as_the_normal_path_indexes_it(db):
    results = Importer(chunk_size=40).import_paths([NDJSON_DIR])
    assert all(result.ok for result in results)
    bulk = index_rows()
    stored = [record.content for record in ResourceRecord.objects.order_by("pk")]
    store_wipe()
    normal_writes(stored)

    assert index_rows() == bulk
    assert bulk["fhir_search_reference"]  # conditional references were resolved and indexed
