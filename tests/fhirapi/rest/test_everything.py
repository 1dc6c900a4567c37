import time

import pytest

from fhirapi.store.writes import format_instant, now_in_milliseconds
from tests.fhirapi.conftest import observation, patient

pytestmark = pytest.mark.django_db


def ids(bundle: dict) -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", ())}


@pytest.fixture
def chart(api) -> dict:
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    other = api.fhir("POST", "/fhir/Patient", patient("Other")).json()["id"]
    obs = [api.fhir("POST", "/fhir/Observation", observation(f"Patient/{pid}")).json()["id"]]
    api.fhir("POST", "/fhir/Observation", observation(f"Patient/{other}"))
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"text": "Asthma"},
    }
    cid = api.fhir("POST", "/fhir/Condition", condition).json()["id"]
    return {"patient": pid, "observations": obs, "condition": cid}


def test_everything_returns_the_patient_and_its_compartment(api, chart):
    response = api.fhir("GET", f"/fhir/Patient/{chart['patient']}/$everything")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "searchset"
    assert ids(bundle) == {chart["patient"], chart["condition"], *chart["observations"]}
    assert bundle["total"] == 3


def test_type_filter_and_paging(api, chart):
    pid = chart["patient"]
    only = api.fhir("GET", f"/fhir/Patient/{pid}/$everything?_type=Condition").json()
    assert ids(only) == {chart["condition"]}
    page = api.fhir("GET", f"/fhir/Patient/{pid}/$everything?_count=2").json()
    assert len(page["entry"]) == 2
    next_url = next(x["url"] for x in page["link"] if x["relation"] == "next")
    rest = api.fhir("GET", next_url.removeprefix("http://testserver")).json()
    assert ids(page) | ids(rest) == {pid, chart["condition"], *chart["observations"]}


def test_since(api, chart):
    pid = chart["patient"]
    time.sleep(0.01)
    since = format_instant(now_in_milliseconds())
    time.sleep(0.01)
    later = api.fhir("POST", "/fhir/Observation", observation(f"Patient/{pid}")).json()["id"]
    bundle = api.get(f"/fhir/Patient/{pid}/$everything", {"_since": since}).json()
    assert ids(bundle) == {later}


def test_unknown_patient_is_404(api):
    assert api.fhir("GET", "/fhir/Patient/nobody/$everything").status_code == 404


def test_everything_is_only_for_patients(api, chart):
    assert (
        api.fhir("GET", f"/fhir/Observation/{chart['observations'][0]}/$everything").status_code
        == 404
    )
