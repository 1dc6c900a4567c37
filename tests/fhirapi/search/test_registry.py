import json
from collections import Counter
from pathlib import Path

import pytest

from fhirapi.data.build_search_parameters import build
from fhirapi.errors import InvalidResource
from fhirapi.search import registry
from fhirapi.search.registry import (
    ParamType,
    get_parameter,
    parameters_for,
    patient_compartment_params,
    register_custom,
    resource_types,
    unregister_custom,
)

SHARED_DEFINITIONS = Path("/work/shared/data/fhir-r4")
COMMON_CODES = {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"}
US_CORE_RACE = {
    "resourceType": "SearchParameter",
    "url": "http://hl7.org/fhir/us/core/SearchParameter/us-core-race",
    "code": "race",
    "base": ["Patient"],
    "type": "token",
    "expression": "Patient.extension.where(url = 'http://hl7.org/fhir/us/core/StructureDefinition/"
    "us-core-race').extension.value.code",
}


@pytest.fixture
def custom_urls():
    """Urls registered by a test, unregistered afterwards so other tests see the base set."""
    urls: list[str] = []
    yield urls
    for url in urls:
        unregister_custom(url)


def base_definitions() -> dict[str, registry.SearchParam]:
    return {p.url: p for p in registry.all_parameters() if not p.custom}


def test_all_1375_base_definitions_are_loaded_with_their_types():
    definitions = base_definitions()
    assert len(definitions) == 1375
    counts = Counter(str(p.type) for p in definitions.values())
    assert counts == {
        "token": 536,
        "reference": 472,
        "string": 133,
        "date": 109,
        "composite": 46,
        "uri": 45,
        "quantity": 27,
        "number": 6,
        "special": 1,
    }


def test_shared_expression_is_split_per_base():
    assert get_parameter("Practitioner", "family").expression == "Practitioner.name.family"
    assert get_parameter("Patient", "family").expression == "Patient.name.family"
    patient = get_parameter("Observation", "patient")
    assert patient.expression == "Observation.subject.where(resolve() is Patient)"
    assert "Encounter" in patient.base and patient.resource_type == "Observation"


def test_union_within_one_base_keeps_every_branch():
    combo = get_parameter("Observation", "combo-code")
    assert combo.expression == "Observation.code | Observation.component.code"
    assert get_parameter("InsurancePlan", "name").expression == "name | alias"


def test_common_parameters_apply_to_every_type_rooted_at_it():
    for resource_type in resource_types():
        params = parameters_for(resource_type)
        assert set(params) >= COMMON_CODES, resource_type
    assert get_parameter("Bundle", "_id").expression == "Bundle.id"
    assert get_parameter("Patient", "_lastUpdated").expression == "Patient.meta.lastUpdated"


def test_text_applies_to_domain_resources_only_and_has_no_expression():
    assert get_parameter("Bundle", "_text") is None
    text = get_parameter("Patient", "_text")
    assert text is not None and text.expression is None


def test_targets_modifiers_and_comparators():
    subject = get_parameter("Observation", "subject")
    assert {"Patient", "Group", "Device", "Location"} <= set(subject.targets)
    assert "identifier" in subject.modifiers and "type" in subject.modifiers
    assert "of-type" in get_parameter("Patient", "identifier").modifiers
    assert get_parameter("Patient", "birthdate").comparators[:3] == ("eq", "ne", "gt")
    assert get_parameter("Patient", "gender").comparators == ()


def test_composite_components_name_their_parameters():
    composite = get_parameter("Observation", "component-code-value-quantity")
    assert composite.type == ParamType.COMPOSITE
    assert [(c.code, c.type, c.expression) for c in composite.components] == [
        ("component-code", ParamType.TOKEN, "code"),
        ("component-value-quantity", ParamType.QUANTITY, "value.as(Quantity)"),
    ]


def test_unknown_type_has_no_parameters():
    assert dict(parameters_for("NotAType")) == {}
    assert get_parameter("Patient", "no-such-code") is None


def test_parameters_for_is_read_only():
    with pytest.raises(TypeError):
        parameters_for("Patient")["family"] = None  # type: ignore[index]


def test_patient_compartment_params():
    assert patient_compartment_params("Observation") == ["subject", "performer"]
    assert patient_compartment_params("Patient") == ["{def}", "link"]
    assert patient_compartment_params("ExplanationOfBenefit") == ["patient", "payee"]
    assert patient_compartment_params("CodeSystem") == []


def test_register_custom_makes_a_parameter_searchable(custom_urls):
    before = registry.generation()
    custom_urls.append(US_CORE_RACE["url"])
    [race] = register_custom(US_CORE_RACE)
    assert race.custom and race.resource_type == "Patient" and race.type == ParamType.TOKEN
    assert get_parameter("Patient", "race") == race
    assert registry.generation() > before
    assert get_parameter("Practitioner", "race") is None


def test_register_custom_again_replaces_the_earlier_version(custom_urls):
    custom_urls.append(US_CORE_RACE["url"])
    register_custom(US_CORE_RACE)
    register_custom({**US_CORE_RACE, "code": "race2"})
    assert get_parameter("Patient", "race") is None
    assert get_parameter("Patient", "race2").url == US_CORE_RACE["url"]


def test_custom_parameter_shadows_the_base_one_until_unregistered(custom_urls):
    url = "http://example.org/SearchParameter/patient-family-exact"
    custom_urls.append(url)
    base = get_parameter("Patient", "family")
    custom = {
        **US_CORE_RACE,
        "url": url,
        "code": "family",
        "expression": "Patient.name.family.first()",
    }
    register_custom(custom)
    assert get_parameter("Patient", "family").expression == "Patient.name.family.first()"
    assert unregister_custom(url) is True
    assert get_parameter("Patient", "family") == base
    assert unregister_custom(url) is False


def test_custom_parameter_on_resource_applies_to_every_type(custom_urls):
    url = "http://example.org/SearchParameter/meta-version"
    custom_urls.append(url)
    entries = register_custom(
        {
            **US_CORE_RACE,
            "url": url,
            "code": "_version",
            "base": ["Resource"],
            "expression": "Resource.meta.versionId",
        }
    )
    assert len(entries) == len(resource_types())
    assert get_parameter("Observation", "_version").expression == "Observation.meta.versionId"


def test_register_custom_can_be_the_first_registry_call(custom_urls, monkeypatch):
    monkeypatch.setattr(registry, "_snapshot", None)
    custom_urls.append(US_CORE_RACE["url"])
    register_custom(US_CORE_RACE)
    assert get_parameter("Patient", "race") is not None
    assert get_parameter("Patient", "family") is not None


def test_reposting_a_base_definition_shadows_it_until_unregistered(custom_urls):
    family = get_parameter("Patient", "family")
    custom_urls.append(family.url)
    register_custom({**US_CORE_RACE, "url": family.url, "code": "family", "type": "string"})
    register_custom({**US_CORE_RACE, "url": family.url, "code": "family", "type": "string"})
    assert get_parameter("Patient", "family").custom
    assert len([p for p in registry.all_parameters() if p.url == family.url and p.custom]) == 1
    unregister_custom(family.url)
    assert get_parameter("Patient", "family") == family


@pytest.mark.parametrize(
    "change",
    [
        {"resourceType": "Patient"},
        {"code": None},
        {"type": "fuzzy"},
        {"base": ["Nonsense"]},
        {"expression": "Patient.name.where("},
        {"type": "composite"},
    ],
)
def test_register_custom_rejects_unusable_definitions(change):
    with pytest.raises(InvalidResource):
        register_custom({**US_CORE_RACE, **change})
    assert get_parameter("Patient", "race") is None


@pytest.mark.skipif(not SHARED_DEFINITIONS.is_dir(), reason="needs /work/shared/data")
def test_data_files_are_what_the_build_script_makes(tmp_path):
    build(SHARED_DEFINITIONS, tmp_path)
    for name in ("search-parameters.json", "compartment-patient.json"):
        carried = (registry.DATA_DIR / name).read_text(encoding="utf-8")
        assert json.loads((tmp_path / name).read_text(encoding="utf-8")) == json.loads(carried)
