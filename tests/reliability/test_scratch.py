from tests.fhirapi.conftest import api, fhir_user  # noqa: F401


def test_nul(api):  # noqa: F811
    for url in ["/fhir/?_type=%00", "/fhir/Patient?_sort=%00", "/fhir/Patient/%00"]:
        r = api.get(url)
        print(url, r.status_code, r["Content-Type"], r.content[:150])
