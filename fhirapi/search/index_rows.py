"""The rows indexing produces for one resource: one list per parameter type.

Every row names its parameter (`param`, the code). Rows are NamedTuples: immutable, hashable (so
duplicates can be dropped) and cheap to make, which matters at thousands of resources a second.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple


class StringRow(NamedTuple):
    param: str
    normalized: str  # lower case, accents removed: for the default (starts-with) and :contains
    exact: str  # as written: for :exact


class TokenRow(NamedTuple):
    param: str
    system: str | None
    code: str | None  # None on the row carrying only a CodeableConcept's text
    text: str | None  # normalized like StringRow.normalized: display / text, for :text
    type_system: str | None = None  # an Identifier's type coding, for :of-type
    type_code: str | None = None


class DateRow(NamedTuple):
    param: str
    low: datetime  # aware, UTC; datetime.min (UTC) for an open start
    high: datetime  # the last microsecond covered; datetime.max (UTC) for an open end
    precision: str  # year, month, day, minute, second, millisecond (any fraction) or period


class NumberRow(NamedTuple):
    param: str
    value: Decimal | None  # None for a Range
    low: Decimal | None  # implicit precision range; None: unbounded
    high: Decimal | None


class QuantityRow(NamedTuple):
    param: str
    value: Decimal | None  # None for a Range
    low: Decimal | None
    high: Decimal | None
    system: str | None
    code: str | None
    unit: str | None
    canonical_value: Decimal | None  # in canonical_code units (UCUM only); None if not UCUM
    canonical_low: Decimal | None
    canonical_high: Decimal | None
    canonical_code: str | None


class ReferenceRow(NamedTuple):
    param: str
    target_type: str | None
    target_id: str | None  # set for local references (`Type/id`); version stripped
    url: str | None  # absolute and urn references, canonicals and uris, as written
    identifier_system: str | None = None  # Reference.identifier, for :identifier
    identifier_value: str | None = None


class UriRow(NamedTuple):
    param: str
    value: str


Row = StringRow | TokenRow | DateRow | NumberRow | QuantityRow | ReferenceRow | UriRow


class CompositeRow(NamedTuple):
    param: str
    parts: tuple[Row, ...]  # one row per component, in the definition's order


@dataclass(slots=True)
class IndexValues:
    resource_type: str
    resource_id: str | None
    strings: list[StringRow] = field(default_factory=list)
    tokens: list[TokenRow] = field(default_factory=list)
    dates: list[DateRow] = field(default_factory=list)
    numbers: list[NumberRow] = field(default_factory=list)
    quantities: list[QuantityRow] = field(default_factory=list)
    references: list[ReferenceRow] = field(default_factory=list)
    uris: list[UriRow] = field(default_factory=list)
    composites: list[CompositeRow] = field(default_factory=list)
    patient_compartments: set[str] = field(default_factory=set)  # ids of the Patients

    def params_with_values(self) -> set[str]:
        """The codes that produced at least one row (the others are `:missing=true`)."""
        tables = (self.strings, self.tokens, self.dates, self.numbers, self.quantities)
        tables += (self.references, self.uris, self.composites)  # type: ignore[assignment]
        return {row.param for table in tables for row in table}
