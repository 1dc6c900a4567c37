"""SMART's scope grammar, against the vectors transcribed from the spec (v1 and v2)."""

import json

import pytest

from fhirapi.smart.scopes import (
    InvalidScope,
    is_valid_scope,
    parse_resource_scope,
    scope_covered,
)
from tests.fhirapi.conftest import SHARED_DATA

VECTORS = json.loads((SHARED_DATA / "smart-app-launch/scope-vectors-from-spec.json").read_text())


@pytest.mark.parametrize("scope", VECTORS["valid"])
def test_valid_scopes_from_the_spec_are_accepted(scope):
    assert is_valid_scope(scope)


@pytest.mark.parametrize("scope", list(VECTORS["invalid_or_undefined"]))
def test_invalid_scopes_from_the_spec_are_refused(scope):
    assert not is_valid_scope(scope)


@pytest.mark.parametrize(("v1", "v2"), VECTORS["v1_to_v2_equivalence"])
def test_v1_scopes_mean_their_v2_equivalents(v1, v2):
    old, new = parse_resource_scope(v1), parse_resource_scope(v2)
    assert (old.level, old.resource_type, old.permissions) == (
        new.level,
        new.resource_type,
        new.permissions,
    )
    assert old.covers(new) and new.covers(old)


def test_a_v2_query_constrains_the_scope():
    scope = parse_resource_scope(
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
        "observation-category|laboratory"
    )
    assert scope.permissions == frozenset("rs")
    assert scope.constraints == (
        ("category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"),
    )


@pytest.mark.parametrize(
    "scope",
    [
        "patient/Observation.read?category=laboratory",  # constraints are v2 only
        "patient/Observation.rs?category",
        "patient/Observation.rs?",
        "patient/Observation.",
        "patient/Observation.srs",
        "user/*.x",
        "patient/observation.rs",
    ],
)
def test_malformed_resource_scopes_raise(scope):
    with pytest.raises(InvalidScope):
        parse_resource_scope(scope)


def test_context_scopes_are_not_resource_scopes():
    for scope in ("launch", "launch/patient", "openid", "fhirUser", "offline_access"):
        assert parse_resource_scope(scope) is None
        assert is_valid_scope(scope)
    assert not is_valid_scope("launch/nonsense")


@pytest.mark.parametrize(
    ("requested", "allowed", "covered"),
    [
        ("patient/Observation.rs", ["patient/*.rs"], True),
        ("patient/Observation.r", ["patient/*.read"], True),
        ("patient/Observation.rs?category=laboratory", ["patient/*.rs"], True),
        ("patient/Observation.rs", ["patient/Observation.rs?category=laboratory"], False),
        ("patient/Observation.c", ["patient/*.rs"], False),
        ("user/Observation.rs", ["patient/*.cruds"], False),
        ("launch/patient", ["launch/patient"], True),
        ("offline_access", ["online_access"], False),
    ],
)
def test_coverage_of_requested_by_registered_scopes(requested, allowed, covered):
    assert scope_covered(requested, allowed) is covered
