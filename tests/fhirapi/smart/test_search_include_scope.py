"""`_include`/`_revinclude` under a patient-context token: resources of other patients are never
included, shared resources (a Practitioner) are."""

import pytest

from fhirapi.services import FhirRepository
from fhirapi.smart.services import launch_create
from tests.fhirapi.conftest import observation
from tests.fhirapi.smart.conftest import fhir

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_doctor(charts) -> str:
    """A Practitioner who performed an Observation of each chart's patient."""
    repository = FhirRepository()
    doctor = repository.create({"resourceType": "Practitioner"}).stored.resource_id
    for chart in charts:
        seen = observation(f"Patient/{chart.patient_id}")
        seen["performer"] = [{"reference": f"Practitioner/{doctor}"}]
        repository.create(seen)
    return doctor


def included(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", ()) if e["search"]["mode"] == "include"]


def test_includes_stay_in_the_patients_compartment(flow, clinician, charts, shared_doctor):
    mine, other = charts
    launch = launch_create(user=clinician, patient_id=mine.patient_id)
    token = flow.token("launch patient/*.rs", launch=launch)["access_token"]
    query = "_include=Observation:performer&_revinclude:iterate=Observation:performer"
    bundle = fhir("GET", f"/fhir/Observation?performer={shared_doctor}&{query}", token).json()
    subjects = {
        e["resource"]["subject"]["reference"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert subjects == {f"Patient/{mine.patient_id}"}
    assert [r["resourceType"] for r in included(bundle)] == ["Practitioner"]

    query = f"_id={shared_doctor}&_revinclude=Observation:performer"
    bundle = fhir("GET", f"/fhir/Practitioner?{query}", token).json()
    found = included(bundle)
    assert [r["subject"]["reference"] for r in found] == [f"Patient/{mine.patient_id}"]
    assert other.patient_id not in str(bundle)
