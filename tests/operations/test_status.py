import re
import socket

import pytest

from clinical.operations import status
from tests.fhirapi.conftest import patient


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.django_db
def test_admin_index_links_operations(signed_in, administrator):
    page = signed_in(administrator).get("/admin/").content.decode()
    for link in (
        "/admin/status/",
        "/admin/subscriptions/",
        "/explorer/",
        "/cds/rules/",
        "/metrics",
    ):
        assert f'href="{link}"' in page
    for model in (
        "Users",
        "Groups",
        "Audit records",
        "Glass breaks",
        "Import jobs",
        "Applications",
        "Cds clients",
    ):
        assert model in page


@pytest.mark.django_db
def test_status_page_is_for_the_admin_role(signed_in, physician, anonymous_client):
    assert signed_in(physician).get("/admin/status/").status_code in (302, 403)
    assert anonymous_client.get("/admin/status/").status_code == 302


@pytest.mark.django_db
def test_status_page_reports_every_part(signed_in, administrator, repository, settings):
    repository.create(patient())
    repository.create(patient("Levin"))
    page = signed_in(administrator).get("/admin/status/").content.decode()
    assert re.search(r"PostgreSQL \d+\.\d+[^,]*, [0-9.]+ [kMG]?B, \d+ of \d+ connections", page)
    assert "Celery workers" in page and "Redis" in page
    assert '<a href="/explorer/?type=Patient">Patient</a></th><td>2</td>' in page
    assert "postgres" in page or "staticfiles" in page  # entries of WINTEHR_DATA_DIR


@pytest.mark.django_db
def test_without_redis_workers_and_queues_are_not_configured(settings):
    settings.REDIS_URL = None
    assert status.celery_workers_check().status == status.NOT_CONFIGURED
    assert status.redis_check().status == status.NOT_CONFIGURED
    assert status.queue_depths() == {}


@pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_queue_depth_and_worker_ping_on_redis(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/14"
    from wintehr.celery import app

    with status.redis_client() as client:
        client.delete("celery", "celery\x06\x166")
        client.lpush("celery", "a", "b")
        client.lpush("celery\x06\x166", "c")
        try:
            assert status.queue_depths() == {"celery": 3}
        finally:
            client.delete("celery", "celery\x06\x166")
    assert status.redis_check().status == status.OK
    broker = app.conf.broker_url
    app.conf.broker_url = settings.REDIS_URL
    try:
        check = status.celery_workers_check()  # no worker listens on database 14
    finally:
        app.conf.broker_url = broker
    assert check.status == status.FAILING
    assert "no worker answered" in check.detail or check.detail


def test_data_dir_use_sizes_entries(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "a.ndjson").write_bytes(b"x" * 1000)
    (tmp_path / "small.pem").write_bytes(b"y" * 10)
    uses = status.data_dir_use(tmp_path)
    assert [(u.name, u.bytes) for u in uses] == [("exports", 1000), ("small.pem", 10)]


@pytest.mark.django_db
def test_users_list_shows_roles_second_factor_and_lock_out(
    signed_in, administrator, physician, nurse, settings
):
    from axes.models import AccessAttempt
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=physician, name="phone", confirmed=True)
    AccessAttempt.objects.create(
        username=physician.username,
        ip_address="10.0.0.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    page = signed_in(administrator).get("/admin/auth/user/").content.decode()
    rows = {name: _row_of(page, name) for name in ("dr-house", "nurse-joy")}
    assert "physician" in rows["dr-house"] and "nurse" in rows["nurse-joy"]
    # second factor, locked out, staff, active: True, True, False, True for the physician
    assert _icons(rows["dr-house"]) == ["True", "True", "False", "True"]
    assert _icons(rows["nurse-joy"]) == ["False", "False", "False", "True"]


def _row_of(page: str, username: str) -> str:
    start = page.index(f">{username}</a>")
    return page[start : page.index("</tr>", start)]


def _icons(row: str) -> list[str]:
    return re.findall(r'<img src="[^"]*icon-(?:yes|no)\.svg" alt="(True|False)">', row)
