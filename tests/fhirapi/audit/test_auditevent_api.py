"""GET /fhir/AuditEvent and /fhir/AuditEvent/[id]: the audit trail for auditors, read-only."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from fhirapi.audit.events import BREAK_GLASS, LOGIN, REST_KINDS
from fhirapi.audit.models import AuditRecord
from fhirapi.audit.services import MINOR_FAILURE, audit_record
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.conftest import FhirClient, patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(administrator) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(administrator)
    return client


@pytest.fixture
def trail(db) -> list[AuditRecord]:
    """Five records, oldest first."""
    return [
        audit_record(kind=LOGIN, username="ann"),
        audit_record(
            kind=REST_KINDS["read"],
            username="ann",
            resource_type="Observation",
            resource_id="obs-1",
            patient_id="pat-1",
        ),
        audit_record(kind=BREAK_GLASS, username="bob", patient_id="pat-2", purpose="emergency"),
        audit_record(kind=LOGIN, username="bob", outcome=MINOR_FAILURE),
        audit_record(kind=REST_KINDS["create"], username="app-user", client_id="smart-app-1"),
    ]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["resourceType"], body["type"]) == ("Bundle", "searchset")
    return [entry["resource"]["id"] for entry in body["entry"]]


def test_search_everything_newest_first(auditor, trail):
    assert ids(auditor.fhir("GET", "/fhir/AuditEvent")) == [str(r.pk) for r in reversed(trail)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("agent=ann", [1, 0]),
        ("user=bob", [3, 2]),
        ("agent=smart-app-1", [4]),
        ("patient=Patient/pat-1", [1]),
        ("patient=pat-1,pat-2", [2, 1]),
        ("entity=Observation/obs-1", [1]),
        ("entity=Patient/pat-2", [2]),
        ("action=C", [4]),
        ("outcome=4", [3]),
        ("subtype=login", [3, 0]),
        ("subtype=login&outcome=0", [0]),
        ("address=127.0.0.1", []),
    ],
)
def test_search_by_parameter(auditor, trail, query, expected):
    found = ids(auditor.fhir("GET", f"/fhir/AuditEvent?{query}"))
    assert found == [str(trail[i].pk) for i in expected]


def test_search_by_date(auditor, trail):
    today = timezone.now().date().isoformat()
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    everyone = "agent=ann,bob,app-user"  # not the searches' own records
    assert len(ids(auditor.fhir("GET", f"/fhir/AuditEvent?{everyone}&date={today}"))) == 5
    both = f"date=ge{today}&date=le{today}"
    assert len(ids(auditor.fhir("GET", f"/fhir/AuditEvent?{everyone}&{both}"))) == 5
    assert ids(auditor.fhir("GET", f"/fhir/AuditEvent?date=ge{tomorrow}")) == []
    assert ids(auditor.fhir("GET", f"/fhir/AuditEvent?date=lt{today}")) == []
    minute = trail[0].recorded_at.strftime("%Y-%m-%dT%H:%M")
    assert len(ids(auditor.fhir("GET", f"/fhir/AuditEvent?{everyone}&date=ge{minute}Z"))) == 5


def test_paging_follows_the_next_links(auditor, trail):
    seen, url = [], "/fhir/AuditEvent?_count=2"
    while url:
        body = auditor.fhir("GET", url).json()
        seen += [entry["resource"]["id"] for entry in body["entry"]]
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = "?".join(urlsplit(following[0])[2:4]) if following else None
    assert seen == [str(r.pk) for r in reversed(trail)]


def test_read_one_event(auditor, trail):
    response = auditor.fhir("GET", f"/fhir/AuditEvent/{trail[2].pk}")
    assert response.status_code == 200
    event = response.json()
    assert (event["resourceType"], event["id"]) == ("AuditEvent", str(trail[2].pk))
    assert event["purposeOfEvent"][0]["text"] == "emergency"
    assert auditor.fhir("GET", "/fhir/AuditEvent/999999999").status_code == 404


def test_bad_search_parameters_are_refused(auditor, trail):
    for query in ("patinet=pat-1", "date=yesterday", "outcome=5", "address=not-an-ip"):
        response = auditor.fhir("GET", f"/fhir/AuditEvent?{query}")
        assert response.status_code == 400, query
        assert response.json()["resourceType"] == "OperationOutcome"


def test_a_physician_may_not_read_the_trail(physician, trail):
    client = FhirClient()
    client.force_authenticate(physician)
    assert client.fhir("GET", "/fhir/AuditEvent").status_code == 403
    response = client.fhir("GET", f"/fhir/AuditEvent/{trail[0].pk}")
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_nobody_writes_the_trail(auditor, trail):
    event = trail[0].content  # a valid AuditEvent
    assert auditor.fhir("POST", "/fhir/AuditEvent", event).status_code == 405
    assert auditor.fhir("PUT", f"/fhir/AuditEvent/{trail[0].pk}", event).status_code == 405
    assert auditor.fhir("DELETE", f"/fhir/AuditEvent/{trail[0].pk}").status_code == 405
    assert auditor.fhir("GET", f"/fhir/AuditEvent/{trail[0].pk}/_history").status_code == 405
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": patient(), "request": {"method": "POST", "url": "Patient"}},
            {"resource": event, "request": {"method": "POST", "url": "AuditEvent"}},
        ],
    }
    assert auditor.fhir("POST", "/fhir", bundle).status_code == 405
    assert not ResourceRecord.objects.exists()  # the transaction was rolled back whole


def test_post_search(auditor, trail):
    response = auditor.post(
        "/fhir/AuditEvent/_search", "agent=bob", content_type="application/x-www-form-urlencoded"
    )
    assert ids(response) == [str(trail[3].pk), str(trail[2].pk)]


def test_the_capability_statement_says_read_and_search_only(api):
    statement = api.fhir("GET", "/fhir/metadata").json()
    (audit,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "AuditEvent"]
    assert [i["code"] for i in audit["interaction"]] == ["read", "search-type"]
    assert {"date", "agent", "patient", "entity"} <= {p["name"] for p in audit["searchParam"]}
