"""A pytest plugin for running part of the suite with reads on a replica (test_replicas.py).

Every database test becomes transactional over all aliases: a replica's connection cannot see
rows a test's open transaction on `default` has not committed, just as a real replica could not.
Each statement is counted per alias, and apart the reads of the store's tables and any statement
that writes through a replica. The counts go, as JSON, to the file named by
WINTEHR_QUERY_COUNTS_FILE."""

import json
import os
import re
from collections import Counter

import pytest
from django.db.backends.signals import connection_created

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE|CREATE|ALTER|DROP)\b", re.IGNORECASE)
STORE_READ = re.compile(
    r"^\s*(WITH|SELECT)\b.*\b(fhirapi_|fhir_search_)", re.IGNORECASE | re.DOTALL
)
COUNTS: Counter[str] = Counter()


def _counting(alias: str):
    def wrapper(execute, sql, params, many, context):
        COUNTS[alias] += 1
        if STORE_READ.match(sql):
            COUNTS[f"{alias}:store-reads"] += 1
        if alias.startswith("replica") and WRITE.match(sql):
            COUNTS[f"{alias}:writes"] += 1
        return execute(sql, params, many, context)

    return wrapper


def _count_queries(sender, connection, **kwargs) -> None:
    if not any(getattr(w, "_wintehr_counter", False) for w in connection.execute_wrappers):
        wrapper = _counting(connection.alias)
        wrapper._wintehr_counter = True
        connection.execute_wrappers.append(wrapper)


def pytest_configure(config) -> None:
    connection_created.connect(_count_queries, weak=False)


def pytest_collection_modifyitems(items) -> None:
    marker = pytest.mark.django_db(transaction=True, databases="__all__")
    for item in items:
        if item.get_closest_marker("django_db") or "db" in getattr(item, "fixturenames", ()):
            item.add_marker(marker, append=False)


def pytest_sessionfinish(session) -> None:
    path = os.environ.get("WINTEHR_QUERY_COUNTS_FILE")
    if path:
        with open(path, "w") as out:
            json.dump(dict(COUNTS), out)
