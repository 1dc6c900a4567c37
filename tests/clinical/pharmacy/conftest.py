import pytest

from tests.clinical.pharmacy import factories as f
from tests.conftest import _member


@pytest.fixture
def second_pharmacist(db):
    return _member("pharm-quinn", "pharmacist")


@pytest.fixture
def ward(db) -> f.Hospital:
    return f.hospital()


@pytest.fixture
def admitted(ward, physician):
    """A patient on the cardiology ward (bed C1) with the physician's requester reference."""
    patient_id = f.patient()
    encounter_id = f.admission(patient_id, ward.beds["cardio-1"])
    return {
        "patient_id": patient_id,
        "encounter_id": encounter_id,
        "requester": f.prescriber(physician),
    }


@pytest.fixture
def signed_order(admitted):
    """order(**extra) -> the id of a signed inpatient order for the admitted patient."""

    def make(**extra) -> str:
        return f.order(
            admitted["patient_id"],
            encounter_id=admitted["encounter_id"],
            requester=admitted["requester"],
            **extra,
        )

    return make
