"""The search index: one table per parameter type, written in the same transaction as the resource.

Every row belongs to the current version of one resource (`record`); an update replaces the rows,
a deletion removes them, so the tables never hold tombstones. The primary key (record, param,
position) is also the index that finds a resource's rows for `:missing`, sorting and re-indexing.
Each table has one more index, for the lookup its parameter type needs.

`_id` and `_lastUpdated` are not indexed here: they are the record's own columns.

Composite parameters have no table of their own: part `i` of a composite row is written to its
component's table as parameter `code$i`, at the position of the composite row, so a composite
search joins the parts that share a position (see `sql_composite`).

`:missing` needs no table either: a parameter is missing on a resource when its table has no row
for it.

Indexed text is cut to `INDEXED_LENGTH` characters (a btree entry is limited to ~2.7 kB); queries
cut their values the same way, and `:exact` also compares the full `StringIndex.exact`.
"""

# ruff: noqa: DJ001 -- NULL is "absent" here (no system, no code), unlike "" (an empty value)

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from fhirapi.store.models import ResourceRecord

INDEXED_LENGTH = 256


class NumericField(models.Field):
    """An unconstrained PostgreSQL numeric: exact, at any precision a resource is written with."""

    def db_type(self, connection) -> str:
        return "numeric"


class IndexRow(models.Model):
    pk = models.CompositePrimaryKey("record_id", "param", "position")
    record = models.ForeignKey(
        ResourceRecord, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    resource_type = models.CharField(max_length=64)
    param = models.CharField(max_length=128)
    position = models.IntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.resource_type}.{self.param}[{self.position}] of record {self.record_id}"


class StringIndex(IndexRow):
    normalized = models.TextField()  # lower case, no accents
    exact = models.TextField()

    class Meta:
        db_table = "fhir_search_string"
        indexes = [
            models.Index(
                fields=["resource_type", "param", "normalized"],
                name="fhir_search_string_lookup",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "text_pattern_ops"],
            )
        ]


class TokenIndex(IndexRow):
    system = models.TextField(null=True)
    code = models.TextField(null=True)
    text = models.TextField(null=True)  # normalized display / text, for :text
    type_system = models.TextField(null=True)  # Identifier.type, for :of-type
    type_code = models.TextField(null=True)

    class Meta:
        db_table = "fhir_search_token"
        indexes = [
            models.Index(
                fields=["resource_type", "param", "code", "system"], name="fhir_search_token_lookup"
            )
        ]


class DateIndex(IndexRow):
    low = models.DateTimeField()
    high = models.DateTimeField()

    class Meta:
        db_table = "fhir_search_date"
        indexes = [
            models.Index(
                fields=["resource_type", "param", "low", "high"], name="fhir_search_date_lookup"
            )
        ]


class NumberIndex(IndexRow):
    low = NumericField()  # a point is low = high; a Range's open end is -Infinity or Infinity
    high = NumericField()

    class Meta:
        db_table = "fhir_search_number"
        indexes = [
            models.Index(fields=["resource_type", "param", "low"], name="fhir_search_number_lookup")
        ]


class QuantityIndex(IndexRow):
    low = NumericField()  # as NumberIndex
    high = NumericField()
    system = models.TextField(null=True)
    code = models.TextField(null=True)
    unit = models.TextField(null=True)
    canonical_code = models.TextField(null=True)  # UCUM only
    canonical_low = NumericField(null=True)
    canonical_high = NumericField(null=True)

    class Meta:
        db_table = "fhir_search_quantity"
        indexes = [
            models.Index(
                fields=["resource_type", "param", "low"], name="fhir_search_quantity_lookup"
            )
        ]


class ReferenceIndex(IndexRow):
    target_type = models.CharField(max_length=64, null=True)
    target_id = models.CharField(max_length=64, null=True)  # local `Type/id` references
    url = models.TextField(null=True)  # absolute, urn and canonical references
    identifier_system = models.TextField(null=True)
    identifier_value = models.TextField(null=True)

    class Meta:
        db_table = "fhir_search_reference"
        indexes = [
            models.Index(
                fields=["target_id", "param", "resource_type"],
                name="fhir_search_reference_lookup",
                condition=models.Q(target_id__isnull=False),
            ),
            models.Index(
                fields=["url", "param", "resource_type"],
                name="fhir_search_reference_url",
                condition=models.Q(url__isnull=False),
            ),
            models.Index(
                fields=["identifier_value", "param"],
                name="fhir_search_reference_ident",
                condition=models.Q(identifier_value__isnull=False),
            ),
        ]


class UriIndex(IndexRow):
    value = models.TextField()

    class Meta:
        db_table = "fhir_search_uri"
        indexes = [
            models.Index(
                fields=["resource_type", "param", "value"],
                name="fhir_search_uri_lookup",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "text_pattern_ops"],
            )
        ]


class CompartmentIndex(models.Model):
    """The Patient compartments a resource is in (a Patient is in its own)."""

    pk = models.CompositePrimaryKey("record_id", "patient_id")
    record = models.ForeignKey(
        ResourceRecord, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    resource_type = models.CharField(max_length=64)
    patient_id = models.CharField(max_length=64)

    class Meta:
        db_table = "fhir_search_compartment"
        indexes = [
            models.Index(
                fields=["patient_id", "resource_type"], name="fhir_search_compartment_lookup"
            )
        ]

    def __str__(self) -> str:
        return f"record {self.record_id} in Patient/{self.patient_id}"


class TextIndex(models.Model):
    """Words of the narrative (`_text`) and of every string in the resource (`_content`)."""

    record = models.OneToOneField(
        ResourceRecord, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    resource_type = models.CharField(max_length=64)
    narrative = SearchVectorField()
    content = SearchVectorField()

    class Meta:
        db_table = "fhir_search_text"
        indexes = [
            GinIndex(fields=["narrative"], name="fhir_search_text_narrative"),
            GinIndex(fields=["content"], name="fhir_search_text_content"),
        ]

    def __str__(self) -> str:
        return f"words of record {self.record_id}"
