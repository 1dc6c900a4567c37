import pytest
from tests.fhirapi.conftest import api, fhir_user  # noqa

@pytest.mark.parametrize("url", [
    "/fhir/Patient?_count=%C2%B2", "/fhir/Patient?_offset=" + "9"*30, "/fhir/Patient?_count=" + "9"*5000,
    "/fhir/Patient/x/_history/%C2%B2", "/fhir/Patient/x/_history/" + "9"*30, "/fhir/_history?_count=%C2%B2",
    "/fhir/Patient?birthdate=1576-06-01T17:15:25.7-22:03", "/fhir/Patient?_lastUpdated=gt0001-01-01T00:00:00%2B14:00",
    "/fhir/Patient?birthdate=9999-12-31T23:59:59-14:00", "/fhir/Observation?value-quantity=1e400",
    "/fhir/Observation?value-quantity=1" + "0"*500, "/fhir/RiskAssessment?probability=1e-400",
])
def test_url(api, url):
    r = api.get(url)
    print(url[:80], r.status_code, r.content[:200])
    assert r.status_code < 500

def test_etag(api):
    r = api.fhir("put", "/fhir/Patient/x", {"resourceType": "Patient", "id": "x"}, If_Match='W/"²"')
    print(r.status_code, r.content[:300])
    assert r.status_code < 500
