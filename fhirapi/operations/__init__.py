"""Importing this package registers every operation (one module each)."""

from fhirapi.operations import meta, validate

__all__ = ["meta", "validate"]
