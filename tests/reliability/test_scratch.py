import pytest
from tests.fhirapi.conftest import api, fhir_user  # noqa

def test_nul(api):
    for url in ["/fhir/Patient?_id=%00", "/fhir/Patient?name=%00", "/fhir/Patient?%00=1", "/fhir/Patient?name=%ED%A0%80"]:
        r = api.get(url)
        print(url, r.status_code, r.content[:150])
    r = api.fhir("post", "/fhir/Patient", '{"resourceType":"Patient","name":[{"family":"a\\u0000b"}]}')
    print(r.status_code, r.content[:300])
    r = api.fhir("post", "/fhir/Patient", '{"resourceType":"Patient","name":[{"family":"a\\ud800b"}]}')
    print(r.status_code, r.content[:300])
    r = api.fhir("post", "/fhir/Patient", '{"resourceType":"Patient","name":[{"family":"a\\u0007b"}]}')
    print(r.status_code, r.content[:300])
    r = api.fhir("post", "/fhir/Patient", '{"resourceType":"Patient","name":[{"family":"a"}], "_gender": {"extension": [{"url": "http://x", "valueString": "\\u0000"}]}}')
    print(r.status_code, r.content[:300])
    r = api.fhir("post", "/fhir/Patient", '{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">\\u0000</div>"}}')
    print(r.status_code, r.content[:300])
