import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(api) -> dict:
    return api.get("/fhir/metadata").json()


def resource(statement: dict, resource_type: str) -> dict:
    return next(r for r in statement["rest"][0]["resource"] if r["type"] == resource_type)


def test_each_type_lists_its_searchable_parameters_with_modifiers(statement):
    params = {p["name"]: p for p in resource(statement, "Patient")["searchParam"]}
    assert params["family"]["type"] == "string"
    assert "Modifiers: contains, exact, missing." in params["family"]["documentation"]
    assert "[type]" in params["general-practitioner"]["documentation"]
    assert {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_text"} <= set(
        params
    )
    assert "_query" not in params  # no expression: not searchable


def test_composites_are_listed(statement):
    params = {p["name"]: p for p in resource(statement, "Observation")["searchParam"]}
    assert params["code-value-quantity"]["type"] == "composite"


def test_server_level_parameters_and_compartment(statement):
    rest = statement["rest"][0]
    assert {p["name"] for p in rest["searchParam"]} >= {"_id", "_lastUpdated", "_content"}
    assert rest["compartment"] == ["http://hl7.org/fhir/CompartmentDefinition/patient"]
    operations = {op["name"] for op in resource(statement, "Patient")["operation"]}
    assert "everything" in operations


def test_includes_and_revincludes_are_listed(statement):
    patient = resource(statement, "Patient")
    assert "Patient:general-practitioner" in patient["searchInclude"]
    assert "Patient:general-practitioner:Practitioner" in patient["searchInclude"]
    assert "*" in patient["searchInclude"]
    assert "Observation:subject" in patient["searchRevInclude"]
    assert "MedicationRequest:patient" in patient["searchRevInclude"]
