"""Importing this package registers every operation (one module each)."""

from fhirapi.operations import bulk_import, cohort, everything, export, meta, reindex, validate

__all__ = ["bulk_import", "cohort", "everything", "export", "meta", "reindex", "validate"]
