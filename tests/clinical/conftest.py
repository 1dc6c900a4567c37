import pytest

from tests.clinical import fhir_factories as f


@pytest.fixture
def patient_id(db) -> str:
    return f.create(f.patient())


@pytest.fixture
def as_physician(physician, signed_in):
    return signed_in(physician)


@pytest.fixture
def as_nurse(nurse, signed_in):
    return signed_in(nurse)


@pytest.fixture
def as_pharmacist(pharmacist, signed_in):
    return signed_in(pharmacist)


@pytest.fixture
def as_front_desk(front_desk, signed_in):
    return signed_in(front_desk)


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chart-body"}
