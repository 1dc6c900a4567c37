"""The connection health check (wintehr/postgres/base.py): a healthy kept connection is taken as
it is, without a query; one the server has ended is found out and replaced."""

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def last_query_of(backend_pid: int) -> str:
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        row = other.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [backend_pid]
        ).fetchone()
    return row[0]


def test_a_healthy_connection_is_usable_without_a_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() /* marker */")
        backend_pid = cursor.fetchone()[0]
    assert connection.is_usable()
    assert last_query_of(backend_pid) == "SELECT pg_backend_pid() /* marker */"


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced():
    connection.ensure_connection()
    backend_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [backend_pid])  # waits for it
    try:
        assert not connection.is_usable()
        connection.health_check_done = False
        connection.close_if_health_check_failed()
        with connection.cursor() as cursor:  # a new connection
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != backend_pid
    finally:
        connection.close()
