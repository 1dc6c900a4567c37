from fhirapi.search.index_rows import ReferenceRow, UriRow
from fhirapi.search.reference_values import reference_rows, uri_rows


def rows_for(*nodes) -> list[ReferenceRow]:
    rows: list[ReferenceRow] = []
    reference_rows("subject", list(nodes), rows)
    return rows


def test_relative_references_give_type_and_id_without_version():
    assert rows_for(({"reference": "Patient/123"}, "Reference")) == [
        ReferenceRow("subject", "Patient", "123", None)
    ]
    assert rows_for(({"reference": "Patient/123/_history/4"}, "Reference")) == [
        ReferenceRow("subject", "Patient", "123", None)
    ]


def test_absolute_and_urn_references_keep_the_url():
    absolute = "http://other.org/fhir/Patient/9"
    urn = "urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"
    assert rows_for(
        ({"reference": absolute}, "Reference"), ({"reference": urn, "type": "Patient"}, "Reference")
    ) == [
        ReferenceRow("subject", "Patient", None, absolute),
        ReferenceRow("subject", "Patient", None, urn),
    ]


def test_identifier_references_for_the_identifier_modifier():
    logical = {"identifier": {"system": "http://ssn", "value": "999"}, "type": "Patient"}
    assert rows_for((logical, "Reference")) == [
        ReferenceRow("subject", "Patient", None, None, "http://ssn", "999")
    ]


def test_contained_references_need_an_identifier_to_give_a_row():
    assert rows_for(({"reference": "#p1"}, "Reference")) == []
    with_identifier = {"reference": "#p1", "identifier": {"value": "7"}}
    assert rows_for((with_identifier, "Reference")) == [
        ReferenceRow("subject", None, None, None, None, "7")
    ]
    assert rows_for(({"display": "someone"}, "Reference")) == []


def test_canonicals_and_resources():
    canonical = "http://example.org/Library/lib|1.0"
    assert rows_for(
        (canonical, "canonical"), ({"resourceType": "Composition", "id": "c1"}, "Resource")
    ) == [
        ReferenceRow("subject", None, None, canonical),
        ReferenceRow("subject", "Composition", "c1", None),
    ]


def test_uri_rows_keep_the_value():
    rows: list[UriRow] = []
    uri_rows("url", [("http://example.org/vs", "uri"), ({"x": 1}, "?")], rows)
    assert rows == [UriRow("url", "http://example.org/vs")]
