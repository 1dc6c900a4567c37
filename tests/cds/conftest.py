import pytest

from fhirapi.services import FhirRepository
from tests.cds.fhir_builders import Chart


@pytest.fixture
def repository(db) -> FhirRepository:
    return FhirRepository()


@pytest.fixture
def chart(repository) -> Chart:
    return Chart(repository)


@pytest.fixture
def open_cds(db, settings):
    """Unsigned CDS Hooks requests allowed, as in development."""
    settings.CDS_HOOKS_ALLOW_UNSIGNED = True
    return settings
