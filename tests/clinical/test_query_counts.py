"""No N+1: with a patient of 2,000+ resources every chart page (and fragment) runs a small,
constant number of queries (timings: bench/bench_workspace.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinical.chart.rendering import TABS
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db

# session + user + permissions + chart access + patient + audit + the tab's searches (each one
# query plus, for a few, one for the total-free page); the summary is the widest page.
PAGE_MAX = 30
FRAGMENT_MAX = 24


@pytest.fixture
def long_history(db) -> str:
    return f.long_history_patient(2000)


def test_every_tab_has_a_constant_query_count(
    long_history, as_physician, django_assert_max_num_queries
):
    as_physician.get(reverse("chart-summary", kwargs={"patient_id": long_history}))  # warm caches
    for tab in TABS:
        url = reverse(tab.url_name, kwargs={"patient_id": long_history})
        with django_assert_max_num_queries(PAGE_MAX, info=tab.key):
            assert as_physician.get(url).status_code == 200
        with django_assert_max_num_queries(FRAGMENT_MAX, info=tab.key):
            assert as_physician.get(url, **HTMX).status_code == 200


def test_query_count_does_not_grow_with_the_record(as_physician, patient_id):
    """The same pages for a patient with a handful of resources run as many queries."""
    for _ in range(3):
        f.create(f.lab(patient_id))
        f.create(f.medication_request(patient_id))
    big = f.long_history_patient(600)
    for tab in TABS:
        counts = []
        for pid in (patient_id, big):
            url = reverse(tab.url_name, kwargs={"patient_id": pid})
            as_physician.get(url, **HTMX)
            with CaptureQueriesContext(connection) as queries:
                as_physician.get(url, **HTMX)
            counts.append(len(queries))
        assert counts[0] == counts[1], (tab.key, counts)


def test_finder_and_inbox_query_counts(long_history, as_physician, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        as_physician.get(reverse("finder"), {"q": "longhistory"})
    with django_assert_max_num_queries(20):
        as_physician.get(reverse("results-inbox"))
