"""The clinical catalog: curated starter set plus codes in use, as autocomplete fragments."""

import pytest
from django.urls import reverse

from clinical.catalog.catalog import KINDS, curated_items, item_from_token
from clinical.catalog.selectors import catalog_search
from tests.clinical import fhir_factories as f

pytestmark = pytest.mark.django_db


def test_every_kind_has_a_curated_set():
    for kind in KINDS:
        assert len(curated_items(kind)) >= 8, kind


def test_tokens_from_forms_are_checked():
    item = item_from_token(
        "medications", "http://www.nlm.nih.gov/research/umls/rxnorm|855332|anything"
    )
    assert item.display == "Warfarin Sodium 5 MG Oral Tablet" and item.curated
    assert item_from_token("medications", "http://loinc.org|1-1|x") is None
    assert item_from_token("problems", "bad") is None


def test_search_curated_and_in_store(patient_id, physician):
    f.create(f.condition(patient_id, "1234567", "Rare zebra syndrome"))
    assert [i.code for i in catalog_search(user=physician, kind="problems", query="hypertension")][
        :1
    ] == ["59621000"]
    found = catalog_search(user=physician, kind="problems", query="zebra")
    assert [(i.code, i.curated) for i in found] == [("1234567", False)]
    assert catalog_search(user=physician, kind="medications", query="855332")[0].display.startswith(
        "Warfarin"
    )


def test_autocomplete_fragment_and_json(as_physician, as_front_desk):
    url = reverse("catalog-search", kwargs={"kind": "lab-tests"})
    html = as_physician.get(
        url, {"field": "lab-tests-code", "lab-tests-code_q": "potassium"}
    ).content.decode()
    assert 'type="radio" name="lab-tests-code"' in html and "2823-3" in html
    data = as_physician.get(url, {"q": "a1c", "format": "json"}).json()
    assert data["items"][0]["code"] == "4548-4"
    assert as_physician.get(reverse("catalog-search", kwargs={"kind": "nope"})).status_code == 404
    assert as_front_desk.get(url).status_code == 403
