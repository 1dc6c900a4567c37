"""Shared set-up of the reliability tests: a repository, API users with bearer tokens, and a
live uvicorn server on the test database for the tests that need real concurrency."""

import os

import pytest

from fhirapi.services import FhirRepository

LONG = os.environ.get("RELIABILITY_LONG") == "1"


def pytest_collection_modifyitems(config, items):
    """`slow` tests run only with RELIABILITY_LONG=1 (the whole folder stays under 3 minutes)."""
    if LONG:
        return
    skip = pytest.mark.skip(reason="long reliability test: set RELIABILITY_LONG=1")
    for item in items:
        if "reliability" in str(item.fspath) and item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture
def repository(db) -> FhirRepository:
    return FhirRepository()
