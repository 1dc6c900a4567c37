import base64
from datetime import date
from pathlib import Path

import pytest

from fhirapi.demo.catalogue import LOINC, RXNORM, SNOMED, UCUM
from fhirapi.demo.loader import demo_population_ensure, demo_population_load
from fhirapi.demo.population import demo_population
from fhirapi.store.models import ResourceRecord, ResourceVersion
from fhirapi.store.references import iter_references
from fhirapi.store.validation import validate_resource

AS_OF = date(2026, 3, 1)
DEMO_DICOM = Path(__file__).resolve().parents[3] / "fhirapi" / "data" / "demo-dicom"


@pytest.fixture(scope="module")
def population() -> list[dict]:
    return list(demo_population(patients=10, seed=7, as_of=AS_OF))


def of_type(resources: list[dict], resource_type: str) -> list[dict]:
    return [r for r in resources if r["resourceType"] == resource_type]


def test_the_same_seed_gives_the_same_population(population):
    assert list(demo_population(patients=10, seed=7, as_of=AS_OF)) == population
    other = list(demo_population(patients=10, seed=8, as_of=AS_OF))
    assert {r["id"] for r in other}.isdisjoint(r["id"] for r in population)


def test_every_resource_is_valid_and_every_reference_resolves(population):
    known = {f"{r['resourceType']}/{r['id']}" for r in population}
    for resource in population:
        validate_resource(resource)
        for site in iter_references(resource):
            assert site.reference in known, (resource["resourceType"], site.location)


def test_patients_have_years_of_coded_history(population):
    assert len(of_type(population, "Patient")) == 10
    conditions = of_type(population, "Condition")
    assert conditions and all(c["code"]["coding"][0]["system"] == SNOMED for c in conditions)
    labs = [
        o
        for o in of_type(population, "Observation")
        if o["category"][0]["coding"][0]["code"] == "laboratory"
    ]
    assert all(o["code"]["coding"][0]["system"] == LOINC for o in labs)
    assert all(o["valueQuantity"]["system"] == UCUM and o["referenceRange"] for o in labs)
    flags = {o["interpretation"][0]["coding"][0]["code"] for o in labs}
    assert flags == {"H", "L", "N"}  # some results are abnormal
    starts = sorted(e["period"]["start"] for e in of_type(population, "Encounter"))
    assert int(AS_OF.year) - int(starts[0][:4]) >= 3
    medications = of_type(population, "MedicationRequest")
    assert all(m["medicationCodeableConcept"]["coding"][0]["system"] == RXNORM for m in medications)
    for kind in ("AllergyIntolerance", "Immunization", "Procedure", "DiagnosticReport", "CarePlan"):
        assert of_type(population, kind), kind


def test_some_patients_are_on_a_ward_with_orders_waiting_for_the_pharmacy(population):
    wards = {
        f"Location/{loc['id']}"
        for loc in of_type(population, "Location")
        if loc["physicalType"]["coding"][0]["code"] == "wa"
    }
    admitted = [e for e in of_type(population, "Encounter") if e["status"] == "in-progress"]
    assert len(admitted) == 2 and all(e["class"]["code"] == "IMP" for e in admitted)
    assert all(e["location"][0]["location"]["reference"] in wards for e in admitted)
    orders = [
        m
        for m in of_type(population, "MedicationRequest")
        if m["status"] == "active" and m["intent"] == "order"
    ]
    admissions = {f"Encounter/{e['id']}" for e in admitted}
    assert any(m["encounter"]["reference"] in admissions for m in orders)
    assert not of_type(population, "MedicationDispense")


def test_notes_and_imaging_studies(population):
    patient = of_type(population, "Patient")[0]
    note = next(
        d
        for d in of_type(population, "DocumentReference")
        if d["subject"]["reference"].endswith(patient["id"])
    )
    text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode()
    assert patient["name"][0]["family"] in text and "Assessment and plan" in text
    studies = of_type(population, "ImagingStudy")
    assert len(studies) == 2 and all(s["series"][0]["instance"][0]["uid"] for s in studies)
    assert {p.name for p in DEMO_DICOM.glob("*.dcm")} == {"CT_small.dcm", "MR_small.dcm"}


def test_the_population_loads_into_an_empty_store_only(db):
    summary = demo_population_ensure(patients=3)

    assert summary is not None and summary.resources == ResourceRecord.objects.count()
    assert demo_population_ensure(patients=3) is None  # the store is not empty now
    assert demo_population_ensure(patients=0) is None


def test_loading_again_changes_nothing(db):
    demo_population_load(patients=2, as_of=AS_OF)
    versions = ResourceVersion.objects.count()

    demo_population_load(patients=2, as_of=AS_OF)

    assert ResourceVersion.objects.count() == versions == ResourceRecord.objects.count()
