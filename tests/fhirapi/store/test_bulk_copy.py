"""The bulk path of transactions: records written by COPY, their versions copied from them."""

from fhirapi.store.models import ResourceRecord, ResourceVersion
from fhirapi.store.writes import records_insert_many

COLUMNS = ("resource_type", "resource_id", "version_id", "last_updated", "deleted", "content")


def test_each_created_record_has_its_version_one_in_order(db):
    resources = [
        ({"resourceType": "Patient", "meta": {"tag": [{"code": "t"}]}, "gender": "male"}, "p1"),
        ({"resourceType": "Observation", "status": "final", "code": {"text": "x" * 5000}}, "o1"),
        ({"resourceType": "Patient", "active": True}, "p2"),
    ]

    outcomes = records_insert_many(resources)

    records = list(ResourceRecord.objects.order_by("id").values_list("id", *COLUMNS))
    versions = list(ResourceVersion.objects.order_by("id").values_list("record_id", *COLUMNS))
    assert versions == records  # same order, same content (a large one too)
    assert [r[2] for r in records] == ["p1", "o1", "p2"]
    assert set(ResourceVersion.objects.values_list("method", flat=True)) == {"POST"}
    assert [o.stored.content for o in outcomes] == [r[-1] for r in records]
    assert records[0][-1]["meta"]["tag"] == [{"code": "t"}]
