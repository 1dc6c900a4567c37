import pytest
from django.test import Client

pytest_plugins = ["tests.cds.fake_provider"]  # provider_url: a local CDS service provider


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


@pytest.fixture(autouse=True)
def celery_tasks_run_eagerly():
    """No worker runs during tests: tasks run in the calling process, with REDIS_URL or without."""
    from wintehr.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


# -- the cast: one user per role, and an outsider with none (clinical/roles.py) ------------------

CAST_PASSWORD = "correct-horse-battery-staple"


def _member(username: str, role_name: str | None, *, staff: bool = False):
    from django.contrib.auth import get_user_model

    from clinical.roles import ensure_role_groups

    groups = ensure_role_groups()
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.org", password=CAST_PASSWORD, is_staff=staff
    )
    if role_name:
        user.groups.add(groups[role_name])
    return user


@pytest.fixture
def physician(db):
    return _member("dr-house", "physician")


@pytest.fixture
def nurse(db):
    return _member("nurse-joy", "nurse")


@pytest.fixture
def pharmacist(db):
    return _member("pharm-pat", "pharmacist")


@pytest.fixture
def front_desk(db):
    return _member("desk-dana", "front-desk")


@pytest.fixture
def administrator(db):
    return _member("admin-ada", "admin", staff=True)


@pytest.fixture
def outsider(db):
    return _member("outsider-oz", None)


@pytest.fixture
def signed_in():
    """signed_in(user) -> a browser client with that user's session."""

    def client_for(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return client_for


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users with passwords are made in many tests; PBKDF2 would cost a quarter second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
