import pytest

from fhirapi.search.fhirpath_parse import (
    Binary,
    Call,
    FhirPathSyntaxError,
    Indexer,
    Literal,
    Member,
    TypeOp,
    TypeSpecifier,
    Variable,
    parse,
    to_fhirpathpy_text,
)

OBSERVATION = Member(None, "Observation")


def test_paths_functions_and_indexers():
    assert parse("Bundle.entry[0].resource") == Member(
        Indexer(Member(Member(None, "Bundle"), "entry"), Literal(0)), "resource"
    )
    assert parse("Condition.onset.as(Age)") == Call(
        Member(Member(None, "Condition"), "onset"), "as", (TypeSpecifier("Age"),)
    )


def test_as_binds_tighter_than_union():
    value = Member(OBSERVATION, "value")
    assert parse("Observation.value as Quantity | Observation.value as SampledData") == Binary(
        "|", TypeOp("as", value, "Quantity"), TypeOp("as", value, "SampledData")
    )


def test_and_binds_tighter_than_or_and_equality_tighter_than_and():
    a, b, c = (Member(None, name) for name in "abc")
    assert parse("a or b and c = 'x'") == Binary(
        "or", a, Binary("and", b, Binary("=", c, Literal("x")))
    )


def test_literals_variables_and_escapes():
    assert parse("'it\\'s'") == Literal("it's")
    assert parse("%resource.id") == Member(Variable("resource"), "id")
    assert parse("where(resolve() is Patient)") == Call(
        None, "where", (TypeOp("is", Call(None, "resolve", ()), "Patient"),)
    )
    assert parse("x != false") == Binary("!=", Member(None, "x"), Literal(False))
    assert parse("{}") == Literal(None)


@pytest.mark.parametrize("text", ["Patient.name.where(", "Patient..name", "a |", "@2020-01-01"])
def test_invalid_expressions_raise(text):
    with pytest.raises(FhirPathSyntaxError):
        parse(text)


def test_fhirpathpy_text_spells_as_with_of_type_and_fhir_type_names():
    assert to_fhirpathpy_text(parse("(Observation.component.value as Quantity)")) == (
        "Observation.component.value.ofType(Quantity)"
    )
    assert to_fhirpathpy_text(parse("value.as(DateTime) | value.as(Period)")) == (
        "(value.ofType(dateTime) | value.ofType(Period))"
    )
    assert to_fhirpathpy_text(parse("a.where(url = 'x\\'y')")) == "a.where((url = 'x\\'y'))"
