from fhirapi.search.index_rows import TokenRow
from fhirapi.search.token_values import token_rows

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def rows_for(value, kind: str) -> list[TokenRow]:
    rows: list[TokenRow] = []
    token_rows("p", [(value, kind)], rows)
    return rows


def test_codeable_concept_gives_each_coding_and_its_text():
    concept = {
        "coding": [
            {"system": "http://loinc.org", "code": "8480-6", "display": "Systolic BP"},
            {"system": "http://snomed.info/sct", "code": "271649006"},
        ],
        "text": "Systolic blood pressure",
    }
    assert rows_for(concept, "CodeableConcept") == [
        TokenRow("p", "http://loinc.org", "8480-6", "systolic bp"),
        TokenRow("p", "http://snomed.info/sct", "271649006", None),
        TokenRow("p", None, None, "systolic blood pressure"),
    ]


def test_text_equal_to_a_display_is_not_repeated():
    concept = {"coding": [{"system": "s", "code": "c", "display": "Asthma"}], "text": "asthma"}
    assert rows_for(concept, "CodeableConcept") == [TokenRow("p", "s", "c", "asthma")]


def test_identifier_gives_system_value_and_type_coding():
    identifier = {
        "type": {"coding": [{"system": V2, "code": "MR"}], "text": "Medical Record"},
        "system": "http://hospital.example.org",
        "value": "m123",
    }
    assert rows_for(identifier, "Identifier") == [
        TokenRow("p", "http://hospital.example.org", "m123", "medical record", V2, "MR")
    ]
    assert rows_for({"value": "x"}, "Identifier") == [TokenRow("p", None, "x", None)]
    assert rows_for({"use": "old"}, "Identifier") == []


def test_contact_point_is_its_value_without_system():
    assert rows_for({"system": "phone", "value": "555-1234"}, "ContactPoint") == [
        TokenRow("p", None, "555-1234", None)
    ]
    assert rows_for({"system": "phone"}, "ContactPoint") == []


def test_primitives_are_codes_without_system():
    assert rows_for("final", "code") == [TokenRow("p", None, "final", None)]
    assert rows_for(True, "boolean") == [TokenRow("p", None, "true", None)]
    assert rows_for(False, "boolean") == [TokenRow("p", None, "false", None)]


def test_coding_and_unknown_shapes():
    assert rows_for({"system": "s", "code": "c"}, "Coding") == [TokenRow("p", "s", "c", None)]
    assert rows_for({"coding": [{"code": "c"}]}, "?") == [TokenRow("p", None, "c", None)]
