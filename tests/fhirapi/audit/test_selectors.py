import pytest

from fhirapi.audit.events import BREAK_GLASS, REST_KINDS
from fhirapi.audit.selectors import patient_access_log
from fhirapi.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_patient_access_log_is_that_patients_newest_first():
    read = REST_KINDS["read"]
    first = audit_record(kind=read, username="ann", patient_id="p1", resource_type="Patient")
    audit_record(kind=read, username="bob", patient_id="p2", resource_type="Patient")
    glass = audit_record(kind=BREAK_GLASS, username="cy", patient_id="p1", purpose="emergency")
    assert patient_access_log(patient_id="p1", limit=10) == [glass, first]
    assert patient_access_log(patient_id="p1", limit=1) == [glass]
