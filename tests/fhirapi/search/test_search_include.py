"""`_include` and `_revinclude`: included entries (mode `include`), `:iterate`, `*`, dedup, the
cap, and the Patient-compartment restriction of patient-context tokens."""

import pytest

from fhirapi.errors import InvalidSearch
from fhirapi.services import FhirRepository
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthea(search) -> dict[str, str]:
    """The ids the transaction path gave Hershel Marvin's resources (and Malcolm Dach's id)."""
    hershel = next(iter(ids(search("Patient", "family=Marvin"))))
    orders = search("MedicationRequest", f"subject={hershel}")["entry"]
    by_encounter: dict[str, set[str]] = {}
    for entry in orders:
        order = entry["resource"]
        by_encounter.setdefault(order["encounter"]["reference"], set()).add(order["id"])
    encounter, pair = next((e, o) for e, o in by_encounter.items() if len(o) == 2)
    return {
        "HERSHEL": hershel,
        "MALCOLM": next(iter(ids(search("Patient", "family=Dach")))),
        "ENCOUNTER": encounter.removeprefix("Encounter/"),
        "PRACTITIONER": orders[0]["resource"]["requester"]["reference"].split("/")[1],
        "ORDER": min(pair),
        "ORDERS": pair,
    }


def included(bundle: dict) -> list[str]:
    return [
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", ())
        if e["search"]["mode"] == "include"
    ]


def test_include_adds_the_referenced_resources_once(search, synthea):
    bundle = search(
        "MedicationRequest", f"subject={synthea['HERSHEL']}&_include=MedicationRequest:patient"
    )
    assert len(ids(bundle)) == 4
    assert bundle["total"] == 4  # included resources are not counted
    assert included(bundle) == [f"Patient/{synthea['HERSHEL']}"]
    assert bundle["total"] == 4  # included resources are not counted


def test_include_with_a_target_type_and_several_parameters(search, synthea):
    query = f"encounter={synthea['ENCOUNTER']}&_include=MedicationRequest:requester:Practitioner"
    bundle = search("MedicationRequest", f"{query}&_include=MedicationRequest:encounter")
    assert ids(bundle) == synthea["ORDERS"]
    assert sorted(included(bundle)) == [
        f"Encounter/{synthea['ENCOUNTER']}",
        f"Practitioner/{synthea['PRACTITIONER']}",
    ]
    query = f"encounter={synthea['ENCOUNTER']}&_include=MedicationRequest:requester:Organization"
    assert included(search("MedicationRequest", query)) == []


def test_revinclude_adds_the_resources_that_refer_to_the_matches(search, synthea):
    bundle = search("Patient", "_id=ana&_revinclude=Observation:subject")
    found = set(included(bundle))
    assert "Observation/bp-ana" in found
    assert not any(ref.startswith("Patient/") for ref in found)
    assert bundle["total"] == 1


def test_iterate_follows_included_resources(search, synthea):
    query = f"_id={synthea['ENCOUNTER']}&_revinclude=MedicationRequest:encounter"
    plain = set(included(search("Encounter", f"{query}&_include=MedicationRequest:requester")))
    assert plain == {f"MedicationRequest/{i}" for i in synthea["ORDERS"]}
    bundle = search("Encounter", f"{query}&_include:iterate=MedicationRequest:requester")
    assert set(included(bundle)) == plain | {f"Practitioner/{synthea['PRACTITIONER']}"}


def test_a_match_is_never_also_included(search, synthea):
    query = f"_id={synthea['ENCOUNTER']}&_revinclude=MedicationRequest:encounter"
    bundle = search("Encounter", f"{query}&_include:iterate=MedicationRequest:encounter")
    assert f"Encounter/{synthea['ENCOUNTER']}" not in included(bundle)


def test_wildcard_includes_every_reference(search, synthea):
    bundle = search("MedicationRequest", f"_id={synthea['ORDER']}&_include=*")
    assert {
        f"Patient/{synthea['HERSHEL']}",
        f"Encounter/{synthea['ENCOUNTER']}",
        f"Practitioner/{synthea['PRACTITIONER']}",
    } <= set(included(bundle))


def test_included_resources_are_capped(search, settings, synthea):
    settings.FHIR_MAX_INCLUDED = 1
    query = f"encounter={synthea['ENCOUNTER']}&_include=MedicationRequest:requester"
    bundle = search("MedicationRequest", f"{query}&_include=MedicationRequest:encounter")
    assert len(included(bundle)) == 1
    outcome = bundle["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    assert outcome["resource"]["issue"][0]["code"] == "too-costly"


def test_unknown_includes_are_ignored_or_refused_when_strict(search, synthea):
    bundle = search("Patient", "_id=ana&_include=Patient:family&_revinclude=Nope:subject")
    outcome = bundle["entry"][-1]["resource"]
    assert len(outcome["issue"]) == 2
    with pytest.raises(InvalidSearch):
        search("Patient", "_include=Patient:nope", strict=True)
    with pytest.raises(InvalidSearch):
        search("Patient", "_include:deep=Patient:organization")


def test_paging_links_repeat_the_includes(search, synthea):
    bundle = search("Patient", "_revinclude=Observation:subject&_count=1")
    assert "_revinclude=Observation%3Asubject" in bundle["link"][0]["url"]


def test_patient_context_restricts_included_resources(search):
    repository = FhirRepository(lenient_references=True)
    repository.create({"resourceType": "Practitioner"}, resource_id="inc-doc")
    for patient in ("ana", "bob"):
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "seen"},
            "subject": {"reference": f"Patient/{patient}"},
            "performer": [{"reference": "Practitioner/inc-doc"}],
        }
        repository.create(observation, resource_id=f"inc-{patient}")
    query = "_id=inc-ana&_include=Observation:performer&_revinclude:iterate=Observation:performer"
    assert set(included(search("Observation", query))) == {
        "Practitioner/inc-doc",
        "Observation/inc-bob",
    }
    restricted = search("Observation", query, compartment_patient="ana")
    assert ids(restricted) == {"inc-ana"}
    assert included(restricted) == ["Practitioner/inc-doc"]  # shared data, but not bob's
