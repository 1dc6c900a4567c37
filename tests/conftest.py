import pytest
from django.test import Client


@pytest.fixture
def anonymous_client() -> Client:
    return Client()
