from tests.fhirapi.conftest import api, fhir_user, repository  # noqa: F401 - shared fixtures
