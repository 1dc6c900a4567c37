"""`_summary` and `_elements`: subsets of the matches, tagged SUBSETTED, applied after the access
policy checked the full resources."""

from urllib.parse import parse_qsl

import pytest

from fhirapi.errors import InvalidSearch
from fhirapi.search.subset import SUBSETTED
from fhirapi.services import FhirRepository
from tests.fhirapi.search.conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def subset(search_data):
    def run(resource_type: str, query: str) -> list[dict]:
        params = parse_qsl(query, keep_blank_values=True)
        bundle = FhirRepository().search_bundle(resource_type, params, base_url=BASE)
        return [e["resource"] for e in bundle.get("entry", ()) if e["search"]["mode"] == "match"]

    return run


def tagged(resource: dict) -> bool:
    return SUBSETTED in resource["meta"]["tag"]


def test_summary_true_keeps_the_summary_elements(subset):
    [ana] = subset("Patient", "_id=ana&_summary=true")
    assert {"resourceType", "id", "meta", "name", "gender", "birthDate", "identifier"} <= set(ana)
    assert "text" not in ana
    assert tagged(ana)
    assert {"system": "urn:tags", "code": "vip"} in ana["meta"]["tag"]


def test_summary_true_keeps_choice_elements(subset):
    [bp] = subset("Observation", "_id=bp-ana&_summary=true")
    assert {"code", "status", "subject", "effectivePeriod", "component"} <= set(bp)


def test_summary_text_and_data(subset):
    [text] = subset("Patient", "_id=ana&_summary=text")
    assert set(text) == {"resourceType", "id", "meta", "text"}
    [data] = subset("Patient", "_id=ana&_summary=data")
    assert "text" not in data and "telecom" in data and tagged(data)
    [full] = subset("Patient", "_id=ana&_summary=false")
    assert "text" in full and SUBSETTED not in full["meta"].get("tag", [])


def test_elements_keeps_the_named_and_mandatory_elements(subset):
    [ana] = subset("Patient", "_id=ana&_elements=name,Patient.gender")
    assert set(ana) == {"resourceType", "id", "meta", "name", "gender"}
    assert tagged(ana)
    [bp] = subset("Observation", "_id=bp-ana&_elements=effective")
    assert set(bp) == {"resourceType", "id", "meta", "status", "code", "effectivePeriod"}


def test_a_bad_summary_is_refused(subset):
    with pytest.raises(InvalidSearch):
        subset("Patient", "_summary=maybe")


def test_the_stored_resource_is_not_changed(subset):
    subset("Patient", "_id=ana&_elements=id")
    [ana] = subset("Patient", "_id=ana")
    assert "name" in ana and not tagged(ana)


def test_over_http(api):
    api.fhir("POST", "/fhir/Patient", {"resourceType": "Patient", "name": [{"family": "Sub"}]})
    bundle = api.get("/fhir/Patient?family=Sub&_elements=id").json()
    assert set(bundle["entry"][0]["resource"]) == {"resourceType", "id", "meta"}
