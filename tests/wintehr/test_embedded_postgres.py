import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from wintehr.embedded_postgres import embedded_database_settings, stop_embedded_server

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_database_is_a_real_postgres_with_jsonb():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT '{"code": {"coding": [{"code": "8867-4"}]}}'::jsonb #>> %s""",
            ["{code,coding,0,code}"],
        )
        assert cursor.fetchone()[0] == "8867-4"
        cursor.execute("SELECT current_setting('server_version_num')::int")
        assert cursor.fetchone()[0] >= 150000


def _connect(settings: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"],
        autocommit=True,
    )


def test_embedded_data_survives_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    with _connect(embedded_database_settings(data_dir)) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    stop_embedded_server(data_dir)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()

    try:
        with _connect(embedded_database_settings(data_dir)) as conn:
            assert conn.execute("SELECT note FROM kept").fetchall() == [("still here",)]
    finally:
        stop_embedded_server(data_dir)


def test_another_process_joins_the_running_server(tmp_path):
    data_dir = tmp_path / "data"
    settings = embedded_database_settings(data_dir)
    try:
        code = (
            "import sys; from pathlib import Path;"
            "from wintehr.embedded_postgres import embedded_database_settings as e;"
            "print(e(Path(sys.argv[1]))['HOST'])"
        )
        child = subprocess.run(
            [sys.executable, "-c", code, str(data_dir)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert child.stdout.strip() == settings["HOST"]
    finally:
        stop_embedded_server(data_dir)
