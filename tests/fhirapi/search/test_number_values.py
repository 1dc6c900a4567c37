from decimal import Decimal

from fhirapi.search.index_rows import NumberRow, QuantityRow
from fhirapi.search.number_values import number_range, number_rows, quantity_rows

UCUM = "http://unitsofmeasure.org"


def test_implicit_precision_range_follows_significant_digits():
    assert number_range(100) == (Decimal(100), Decimal("99.5"), Decimal("100.5"))
    assert number_range(1.5) == (Decimal("1.5"), Decimal("1.45"), Decimal("1.55"))
    assert number_range(Decimal("1.50")) == (Decimal("1.50"), Decimal("1.495"), Decimal("1.505"))
    assert number_range("12") is None
    assert number_range(True) is None


def test_number_rows_for_decimals_integers_and_ranges():
    rows: list[NumberRow] = []
    nodes = [
        (0.25, "decimal"),
        (3, "integer"),
        ({"low": {"value": 0.1}, "high": {"value": 0.4}}, "Range"),
    ]
    number_rows("probability", nodes, rows)
    assert rows == [
        NumberRow("probability", Decimal("0.25"), Decimal("0.245"), Decimal("0.255")),
        NumberRow("probability", Decimal(3), Decimal("2.5"), Decimal("3.5")),
        NumberRow("probability", None, Decimal("0.1"), Decimal("0.4")),
    ]


def one_quantity(value: dict, kind: str = "Quantity") -> QuantityRow:
    rows: list[QuantityRow] = []
    quantity_rows("value-quantity", [(value, kind)], rows)
    assert len(rows) == 1
    return rows[0]


def test_ucum_mass_converts_to_grams():
    row = one_quantity({"value": 72.5, "unit": "kg", "system": UCUM, "code": "kg"})
    assert (row.value, row.system, row.code, row.unit) == (Decimal("72.5"), UCUM, "kg", "kg")
    assert (row.canonical_value, row.canonical_code) == (Decimal("72500.0"), "g")
    assert (row.canonical_low, row.canonical_high) == (Decimal("72450.00"), Decimal("72550.00"))


def test_ucum_time_and_volume_convert():
    assert one_quantity({"value": 2, "system": UCUM, "code": "h"}).canonical_value == Decimal(7200)
    assert one_quantity({"value": 5, "system": UCUM, "code": "mL"}).canonical_code == "L"


def test_temperature_and_compound_units_keep_their_unit():
    row = one_quantity({"value": 37.2, "system": UCUM, "code": "Cel"})
    assert (row.canonical_value, row.canonical_code) == (Decimal("37.2"), "Cel")
    assert one_quantity({"value": 5, "system": UCUM, "code": "mg/dL"}).canonical_code == "mg/dL"


def test_non_ucum_quantity_has_no_canonical_value():
    row = one_quantity(
        {"value": 3, "unit": "tablets", "system": "http://snomed.info/sct", "code": "428673006"}
    )
    assert row.canonical_value is None and row.canonical_code is None
    assert row.code == "428673006"


def test_range_money_and_sampled_data():
    row = one_quantity(
        {"low": {"value": 1, "system": UCUM, "code": "a"}, "high": {"value": 2}}, "Range"
    )
    assert (row.value, row.low, row.high, row.code) == (None, Decimal(1), Decimal(2), "a")
    assert row.canonical_low == Decimal(31557600)
    money = one_quantity({"value": 12.5, "currency": "USD"}, "Money")
    assert (money.system, money.code, money.value) == (
        "urn:iso:std:iso:4217",
        "USD",
        Decimal("12.5"),
    )
    rows: list[QuantityRow] = []
    quantity_rows(
        "value-quantity", [({"origin": {"value": 1}, "data": "1 2"}, "SampledData")], rows
    )
    quantity_rows("value-quantity", [({"unit": "kg"}, "Quantity")], rows)
    assert rows == []
