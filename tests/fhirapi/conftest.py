import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from clinical.roles import ADMIN
from fhirapi.services import FhirRepository

FHIR_JSON = "application/fhir+json"
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
FIXTURES = REPO_ROOT / "tests" / "fixtures"


class FhirClient(APIClient):
    """An API client that speaks FHIR JSON by default."""

    def fhir(self, method: str, path: str, body=None, *, content_type: str = FHIR_JSON, **headers):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
        return getattr(self, method.lower())(path, data=data, content_type=content_type, **extra)


@pytest.fixture
def fhir_user(db):
    """An API user with the admin role: every FHIR interaction (clinical/fhir/access.py)."""
    user = get_user_model().objects.create_user("fhir-tester", password="unused-in-tests")
    user.groups.add(Group.objects.get_or_create(name=ADMIN.name)[0])
    return user


@pytest.fixture
def api(fhir_user) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(fhir_user)
    return client


@pytest.fixture
def repository(db) -> FhirRepository:
    return FhirRepository()


def patient(family: str = "Chalmers", **extra) -> dict:
    return {
        "resourceType": "Patient",
        "name": [{"family": family, "given": ["Peter", "James"]}],
        "gender": "male",
        "birthDate": "1974-12-25",
        **extra,
    }


def observation(subject: str, value: float = 120.0, **extra) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": subject},
        "valueQuantity": {
            "value": value,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
        **extra,
    }
