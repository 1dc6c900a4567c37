"""The patient finder: search as you type (name, MRN, birth date), recent patients, ward list."""

import pytest
from django.urls import reverse

from clinical.finder.selectors import search_params
from fhirapi.audit.models import AuditRecord
from tests.clinical import fhir_factories as f

pytestmark = pytest.mark.django_db
RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "finder-results"}


@pytest.fixture
def people(db) -> dict[str, str]:
    return {
        "amara": f.create(f.patient("Okafor", "Amara", "1961-04-12", mrn="MRN100200")),
        "emeka": f.create(f.patient("Okafor", "Emeka", "1990-01-30", "male", mrn="MRN300400")),
        "rosa": f.create(f.patient("Santos", "Rosa", "1975-09-02", mrn="MRN500600")),
    }


def test_query_words_become_search_parameters():
    assert search_params("okafor 1961-04-12 MRN100200") == [
        ("name", "okafor"),
        ("birthdate", "1961-04-12"),
        ("identifier", "MRN100200"),
    ]
    assert search_params("12/04/1961") == [("birthdate", "1961-04-12")]


def test_home_sends_clinicians_to_the_finder(as_physician, as_front_desk, outsider, signed_in):
    assert as_physician.get("/")["Location"] == reverse("finder")
    assert as_front_desk.get("/")["Location"] == reverse("finder")
    assert signed_in(outsider).get("/")["Location"] == reverse("account")


def test_search_by_name_returns_the_fragment(people, as_physician):
    response = as_physician.get(reverse("finder"), {"q": "okafor"}, **RESULTS)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "OKAFOR, Amara" in html and "OKAFOR, Emeka" in html and "Santos" not in html


def test_search_by_mrn_and_birth_date(people, as_physician):
    by_mrn = as_physician.get(reverse("finder"), {"q": "MRN500600"}, **RESULTS).content.decode()
    assert (
        "SANTOS, Rosa" in by_mrn and "Okafor" not in by_mrn.lower().replace("okafor", "Okafor")
    ) or "OKAFOR" not in by_mrn
    by_date = as_physician.get(
        reverse("finder"), {"q": "okafor 1990-01-30"}, **RESULTS
    ).content.decode()
    assert "Emeka" in by_date and "Amara" not in by_date


def test_searches_are_audited(people, as_physician):
    as_physician.get(reverse("finder"), {"q": "santos"}, **RESULTS)
    assert AuditRecord.objects.filter(resource_type="Patient", action="R").exists()


def test_opening_charts_fills_recent_patients(people, as_physician):
    for key in ("rosa", "amara"):
        as_physician.get(reverse("chart-summary", kwargs={"patient_id": people[key]}))
    html = as_physician.get(reverse("finder")).content.decode()
    recent = html.split("My recent patients")[1].split("Ward list")[0]
    assert recent.index("OKAFOR, Amara") < recent.index("SANTOS, Rosa")


def test_ward_list_shows_patients_with_an_active_encounter(people, as_physician):
    ward = f.create(f.location("Ward 7"))
    bed = f.create(f.location("Ward 7, bed 3", kind="bd", part_of=ward))
    f.create(f.encounter(people["amara"], location_id=bed))
    f.create(f.encounter(people["rosa"], status="finished", location_id=ward))
    page = as_physician.get(reverse("finder")).content.decode()
    assert "Ward 7</option>" in page
    response = as_physician.get(
        reverse("finder"), {"location": ward}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ward-list"
    )
    html = response.content.decode()
    assert "OKAFOR, Amara" in html and "bed 3" in html and "Santos" not in html.title()


def test_front_desk_finds_patients_but_gets_no_chart_links(people, as_front_desk):
    html = as_front_desk.get(reverse("finder"), {"q": "santos"}, **RESULTS).content.decode()
    assert "SANTOS, Rosa" in html and "/chart/" not in html


def test_the_finder_is_refused_without_a_role(outsider, signed_in):
    assert signed_in(outsider).get(reverse("finder")).status_code == 403
