import pytest

from fhirapi.search.references import ParsedReference, parse_reference, reference_target_type


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("Patient/p1", ParsedReference(type="Patient", id="p1")),
        ("Observation/o.1/_history/2", ParsedReference(type="Observation", id="o.1", version="2")),
        (
            "https://x.org/fhir/Patient/p1",
            ParsedReference(type="Patient", url="https://x.org/fhir/Patient/p1"),
        ),
        ("urn:uuid:0b1f", ParsedReference(url="urn:uuid:0b1f")),
        ("Unicorn/1", ParsedReference(url="Unicorn/1")),
        ("Patient?identifier=x|1", ParsedReference(url="Patient?identifier=x|1")),
        ("#med", ParsedReference(id="med", contained=True)),
    ],
)
def test_parse_reference(text, parsed):
    assert parse_reference(text) == parsed


def test_target_type_from_the_reference_or_its_type_element():
    assert reference_target_type({"reference": "Group/g"}) == "Group"
    assert reference_target_type({"reference": "urn:uuid:1", "type": "Patient"}) == "Patient"
    absolute_type = "http://hl7.org/fhir/StructureDefinition/Device"
    assert reference_target_type({"identifier": {"value": "1"}, "type": absolute_type}) == "Device"
    assert reference_target_type({"reference": "#x"}) is None
    assert reference_target_type("Patient/1") is None
