from fhirapi.search.index_rows import StringRow
from fhirapi.search.string_values import normalize, string_rows


def test_normalize_lowercases_and_removes_accents():
    assert normalize("Ångström") == "angstrom"
    assert normalize("Graciela Alcántar") == "graciela alcantar"
    assert normalize("STRASSE") == "strasse"


def test_plain_strings_keep_the_exact_value():
    rows: list[StringRow] = []
    string_rows("name", [("Müller", "string"), ("**bold**", "markdown"), (5, "integer")], rows)
    assert rows == [
        StringRow("name", "muller", "Müller"),
        StringRow("name", "**bold**", "**bold**"),
    ]


def test_human_name_gives_its_parts():
    name = {"use": "official", "family": "Chalmers", "given": ["Peter", "James"], "prefix": ["Mr."]}
    rows: list[StringRow] = []
    string_rows("name", [(name, "HumanName")], rows)
    assert [row.exact for row in rows] == ["Chalmers", "Peter", "James", "Mr."]


def test_address_gives_its_parts():
    address = {
        "use": "home",
        "line": ["1 Main St", "Apt 2"],
        "city": "Boston",
        "postalCode": "02110",
    }
    rows: list[StringRow] = []
    string_rows("address", [(address, "Address")], rows)
    assert [row.normalized for row in rows] == ["1 main st", "apt 2", "boston", "02110"]
