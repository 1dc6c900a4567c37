"""PATCH in memory: HL7's JSON Patch and FHIRPath Patch vectors, and the errors around them."""

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fhirapi.errors import BadRequest, InvalidResource
from fhirapi.store.patch import apply_fhirpath_patch, apply_json_patch

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "patch"
JSON_VECTORS = json.loads((FIXTURES / "json-patch-tests.json").read_text(encoding="utf-8"))
FHIRPATH_VECTORS = json.loads((FIXTURES / "fhirpath-patch-tests.json").read_text(encoding="utf-8"))


def operation(kind: str, path: str, **parts: tuple[str, Any]) -> dict[str, Any]:
    """An `operation` parameter; each extra part is given as (value[x] key, value)."""
    listed = [{"name": "type", "valueCode": kind}, {"name": "path", "valueString": path}]
    listed += [{"name": name, key: value} for name, (key, value) in parts.items()]
    return {"name": "operation", "part": listed}


def parameters(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(operations)}


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "extension": [{"url": "http://example.org/a", "valueString": "a"}],
        "identifier": [
            {"use": "official", "value": "1"},
            {"use": "usual", "value": "2"},
        ],
        "name": [
            {
                "family": "Chalmers",
                "given": ["Peter", "James"],
                "_given": [None, {"extension": [{"url": "http://x", "valueString": "j"}]}],
            }
        ],
        "gender": "male",
        "birthDate": "1974-12-25",
        "deceasedBoolean": False,
    }


# HL7's vectors


@pytest.mark.parametrize("vector", JSON_VECTORS, ids=[v["comment"] for v in JSON_VECTORS])
def test_json_patch_vector(vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(InvalidResource):
            apply_json_patch(vector["doc"], vector["patch"])
    else:
        assert apply_json_patch(vector["doc"], vector["patch"]) == vector["expected"]


@pytest.mark.parametrize("vector", FHIRPATH_VECTORS, ids=[v["name"] for v in FHIRPATH_VECTORS])
def test_fhirpath_patch_vector(vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(InvalidResource, match=re.escape(vector["error"])):
            apply_fhirpath_patch(vector["input"], vector["patch"])
    else:
        assert apply_fhirpath_patch(vector["input"], vector["patch"]) == vector["output"]


# JSON Patch


def test_json_patch_leaves_its_input_alone() -> None:
    resource = patient()
    patched = apply_json_patch(resource, [{"op": "replace", "path": "/gender", "value": "x"}])
    assert resource == patient()
    assert patched["gender"] == "x"


@pytest.mark.parametrize(
    "operations",
    [
        {"op": "add"},
        ["not an operation"],
        [{"path": "/gender", "value": "male"}],
        [{"op": "frobnicate", "path": "/gender"}],
        [{"op": "add", "path": "gender", "value": "male"}],
        [{"op": "add", "path": "/gender"}],
        [{"op": "move", "from": "gender", "path": "/x"}],
    ],
    ids=["not a list", "not an object", "no op", "bad op", "bad pointer", "no value", "bad from"],
)
def test_malformed_json_patch_is_a_bad_request(operations: Any) -> None:
    with pytest.raises(BadRequest):
        apply_json_patch(patient(), operations)


def test_json_patch_errors_name_the_operation() -> None:
    operations = [
        {"op": "replace", "path": "/gender", "value": "female"},
        {"op": "test", "path": "/birthDate", "value": "2000-01-01"},
    ]
    with pytest.raises(InvalidResource) as raised:
        apply_json_patch(patient(), operations)
    assert raised.value.issues[0].expression == ("/1",)
    assert "operation 1" in raised.value.issues[0].diagnostics


def test_json_patch_checks_every_operation_before_applying_any() -> None:
    operations = [{"op": "test", "path": "/birthDate", "value": "2000"}, {"op": "nope"}]
    with pytest.raises(BadRequest) as raised:
        apply_json_patch(patient(), operations)
    assert raised.value.issues[0].expression == ("/1",)


def test_json_patch_removing_a_missing_element_is_unprocessable() -> None:
    with pytest.raises(InvalidResource):
        apply_json_patch(patient(), [{"op": "remove", "path": "/photo"}])


@pytest.mark.parametrize(
    "change",
    [
        {"op": "replace", "path": "/id", "value": "other"},
        {"op": "remove", "path": "/id"},
        {"op": "replace", "path": "/resourceType", "value": "Group"},
        {"op": "replace", "path": "", "value": []},
    ],
    ids=["new id", "no id", "new type", "not an object"],
)
def test_json_patch_may_not_change_what_the_resource_is(change: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        apply_json_patch(patient(), [change])


# FHIRPath Patch: selecting elements


def test_where_filters_select_the_matching_element() -> None:
    patch = parameters(
        operation(
            "replace", "Patient.identifier.where(use = 'usual').value", value=("valueString", "X")
        )
    )
    assert apply_fhirpath_patch(patient(), patch)["identifier"] == [
        {"use": "official", "value": "1"},
        {"use": "usual", "value": "X"},
    ]


def test_first_selects_one_element() -> None:
    patch = parameters(
        operation("replace", "Patient.name.first().family", value=("valueString", "B"))
    )
    assert apply_fhirpath_patch(patient(), patch)["name"][0]["family"] == "B"


def test_deleting_a_primitive_from_a_list_keeps_its_extensions_in_step() -> None:
    patch = parameters(operation("delete", "Patient.name.given.where($this = 'Peter')"))
    name = apply_fhirpath_patch(patient(), patch)["name"][0]
    assert name["given"] == ["James"]
    assert name["_given"] == [{"extension": [{"url": "http://x", "valueString": "j"}]}]


def test_deleting_the_last_extended_primitive_drops_the_companion_list() -> None:
    patch = parameters(operation("delete", "Patient.name[0].given[1]"))
    name = apply_fhirpath_patch(patient(), patch)["name"][0]
    assert name == {"family": "Chalmers", "given": ["Peter"]}


def test_an_extension_selected_by_url_can_be_deleted() -> None:
    patch = parameters(operation("delete", "Patient.extension('http://example.org/a')"))
    assert "extension" not in apply_fhirpath_patch(patient(), patch)


def test_a_choice_element_is_found_by_its_name_and_may_change_type() -> None:
    patch = parameters(operation("replace", "Patient.deceased", value=("valueDateTime", "2020")))
    patched = apply_fhirpath_patch(patient(), patch)
    assert patched["deceasedDateTime"] == "2020"
    assert "deceasedBoolean" not in patched


# FHIRPath Patch: the operations


def test_add_puts_an_extension_beside_a_primitive() -> None:
    extension = [{"name": "url", "valueUri": "http://y"}, {"name": "valueCode", "valueCode": "z"}]
    patch = parameters(
        operation(
            "add", "Patient.birthDate", name=("valueString", "extension"), value=("part", extension)
        )
    )
    patched = apply_fhirpath_patch(patient(), patch)
    assert patched["birthDate"] == "1974-12-25"
    assert patched["_birthDate"] == {"extension": [{"url": "http://y", "valueCode": "z"}]}


def test_add_names_a_choice_element_by_its_value_type() -> None:
    patch = parameters(
        operation(
            "add", "Patient", name=("valueString", "multipleBirth"), value=("valueInteger", 2)
        )
    )
    assert apply_fhirpath_patch(patient(), patch)["multipleBirthInteger"] == 2


def test_add_refuses_a_value_of_a_type_the_choice_does_not_allow() -> None:
    patch = parameters(
        operation(
            "add", "Patient", name=("valueString", "multipleBirth"), value=("valueString", "2")
        )
    )
    with pytest.raises(InvalidResource, match="multipleBirth"):
        apply_fhirpath_patch(patient(), patch)


def test_add_refuses_a_second_value_for_an_element_that_does_not_repeat() -> None:
    patch = parameters(
        operation("add", "Patient", name=("valueString", "birthDate"), value=("valueDate", "2000"))
    )
    with pytest.raises(InvalidResource, match="does not repeat"):
        apply_fhirpath_patch(patient(), patch)


def test_add_refuses_an_element_the_type_does_not_have() -> None:
    patch = parameters(
        operation("add", "Patient", name=("valueString", "shoeSize"), value=("valueString", "9"))
    )
    with pytest.raises(InvalidResource, match="shoeSize"):
        apply_fhirpath_patch(patient(), patch)


def test_insert_into_an_absent_list_starts_it() -> None:
    patch = parameters(
        operation(
            "insert",
            "Patient.telecom",
            index=("valueInteger", 0),
            value=("valueContactPoint", {"system": "phone", "value": "1"}),
        )
    )
    assert apply_fhirpath_patch(patient(), patch)["telecom"] == [{"system": "phone", "value": "1"}]


def test_insert_refuses_an_index_past_the_end() -> None:
    patch = parameters(
        operation(
            "insert", "Patient.identifier", index=("valueInteger", 3), value=("valueIdentifier", {})
        )
    )
    with pytest.raises(InvalidResource, match="index 3"):
        apply_fhirpath_patch(patient(), patch)


def test_insert_needs_a_path_that_ends_with_an_element_name() -> None:
    patch = parameters(
        operation(
            "insert",
            "Patient.identifier.first()",
            index=("valueInteger", 0),
            value=("valueIdentifier", {}),
        )
    )
    with pytest.raises(BadRequest, match="must end with the name"):
        apply_fhirpath_patch(patient(), patch)


def test_move_keeps_primitive_extensions_in_step() -> None:
    patch = parameters(
        operation(
            "move",
            "Patient.name[0].given",
            source=("valueInteger", 1),
            destination=("valueInteger", 0),
        )
    )
    name = apply_fhirpath_patch(patient(), patch)["name"][0]
    assert name["given"] == ["James", "Peter"]
    assert name["_given"] == [{"extension": [{"url": "http://x", "valueString": "j"}]}, None]


def test_move_refuses_a_position_outside_the_list() -> None:
    patch = parameters(
        operation(
            "move",
            "Patient.identifier",
            source=("valueInteger", 2),
            destination=("valueInteger", 0),
        )
    )
    with pytest.raises(InvalidResource, match="source 2"):
        apply_fhirpath_patch(patient(), patch)


def test_delete_of_nothing_changes_nothing() -> None:
    patch = parameters(operation("delete", "Patient.photo"))
    assert apply_fhirpath_patch(patient(), patch) == patient()


def test_delete_of_several_elements_is_refused() -> None:
    with pytest.raises(InvalidResource, match="matches 2 elements"):
        apply_fhirpath_patch(patient(), parameters(operation("delete", "Patient.identifier")))


def test_replace_of_nothing_is_refused_and_names_the_operation() -> None:
    patch = parameters(
        operation("delete", "Patient.photo"),
        operation("replace", "Patient.maritalStatus", value=("valueCode", "male")),
    )
    with pytest.raises(
        InvalidResource, match=r"No content found at Patient\.maritalStatus"
    ) as raised:
        apply_fhirpath_patch(patient(), patch)
    assert raised.value.issues[0].expression == ("Parameters.parameter[1]",)


def test_the_whole_resource_cannot_be_deleted() -> None:
    with pytest.raises(InvalidResource):
        apply_fhirpath_patch(patient(), parameters(operation("delete", "Patient")))


def test_fhirpath_patch_may_not_change_the_id() -> None:
    patch = parameters(operation("replace", "Patient.id", value=("valueId", "other")))
    with pytest.raises(BadRequest, match="id"):
        apply_fhirpath_patch(patient(), patch)


def test_fhirpath_patch_leaves_its_inputs_alone() -> None:
    resource = patient()
    patch = parameters(
        operation(
            "add",
            "Patient",
            name=("valueString", "telecom"),
            value=("valueContactPoint", {"value": "1"}),
        )
    )
    kept = copy.deepcopy(patch)
    patched = apply_fhirpath_patch(resource, patch)
    patched["telecom"][0]["value"] = "changed"
    assert resource == patient()
    assert patch == kept


# FHIRPath Patch: documents that cannot be read


@pytest.mark.parametrize(
    "patch",
    [
        {"resourceType": "Bundle"},
        {"resourceType": "Parameters", "parameter": [{"name": "op"}]},
        parameters(operation("frobnicate", "Patient.gender")),
        parameters({"name": "operation", "part": [{"name": "type", "valueCode": "delete"}]}),
        parameters(operation("replace", "Patient.gender")),
        parameters(
            operation(
                "insert",
                "Patient.identifier",
                index=("valueString", "0"),
                value=("valueIdentifier", {}),
            )
        ),
        parameters(operation("delete", "Patient.name[")),
        parameters(operation("delete", "Patient.name given")),
        parameters(operation("delete", "Patient.name | Patient.telecom")),
        parameters(operation("delete", "Patient.name.count()")),
    ],
    ids=[
        "not Parameters",
        "not an operation",
        "unknown type",
        "no path",
        "no value",
        "index not integer",
        "unclosed indexer",
        "trailing text",
        "union",
        "not an element",
    ],
)
def test_unreadable_fhirpath_patch_is_a_bad_request(patch: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        apply_fhirpath_patch(patient(), patch)


def test_keywords_after_a_dot_are_element_names_but_string_literals_are_kept() -> None:
    resource = {**patient(), "text": {"status": "generated", "div": "<div>a.div</div>"}}
    patch = parameters(
        operation(
            "replace",
            "Patient.text.where($this.div = '<div>a.div</div>').div",
            value=("valueString", "<div>b</div>"),
        )
    )
    assert apply_fhirpath_patch(resource, patch)["text"]["div"] == "<div>b</div>"
