from datetime import timedelta

import pytest
from django.utils import timezone

from fhirapi.store.writes import format_instant
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_id(search):
    assert ids(search("Patient", "_id=ana,bob")) == {"ana", "bob"}
    assert ids(search("Patient", "_id=ana&_id=bob")) == set()
    assert "ana" not in ids(search("Patient", "_id:not=ana&_count=100"))


def test_last_updated(search):
    past = format_instant(timezone.now() - timedelta(days=1))
    future = format_instant(timezone.now() + timedelta(days=1))
    assert "ana" in ids(search("Patient", f"_lastUpdated=gt{past}&_count=100"))
    assert "ana" in ids(search("Patient", f"_lastUpdated=lt{future}&_count=100"))
    assert ids(search("Patient", f"_lastUpdated=gt{future}")) == set()
    today = timezone.now().date().isoformat()
    assert "ana" in ids(search("Patient", f"_lastUpdated={today}&_count=100"))


def test_text_searches_the_narrative(search):
    assert ids(search("Patient", "_text=astronomer")) == {"ana"}
    assert ids(search("Patient", "_text=ASTRONOMER ana")) == {"ana"}
    assert ids(search("Patient", "_text=astronomer zebra")) == set()
    assert ids(search("Patient", "_text=angstrom")) == set()  # only in the name, not the text


def test_content_searches_every_string(search):
    assert ids(search("Patient", "_content=ångström")) == {"ana"}
    assert ids(search("Patient", "_content=astronomer")) == {"ana"}
    assert ids(search("Patient", "_content=smithers,angstrom")) == {"ana", "bob"}
