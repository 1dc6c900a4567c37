"""Workspace benchmark: server time of the chart's summary page and of every tab (full page and
HTMX fragment) for one patient holding 2,000+ resources, through Django's whole request path
(middleware, access check, audit, searches, templates) in process.

Run: .venv/bin/python bench/bench_workspace.py [runs]
Target: p50 <= 120 ms and p95 <= 250 ms for every page.
"""

import statistics
import sys
import time

from _setup import django_ready, empty_store, print_table

django_ready()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connections, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from clinical.chart.rendering import TABS  # noqa: E402
from clinical.roles import ensure_role_groups  # noqa: E402
from tests.clinical.fhir_factories import long_history_patient  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 40
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chart-body"}
P50_TARGET, P95_TARGET = 120.0, 250.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(client: Client, url: str, headers: dict) -> tuple[list[float], int]:
    client.get(url, **headers)  # warm
    captures = [CaptureQueriesContext(connections[alias]) for alias in connections]
    for capture in captures:
        capture.__enter__()
    client.get(url, **headers)
    for capture in captures:
        capture.__exit__(None, None, None)
    queries = [q for capture in captures for q in capture.captured_queries]
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples, len(queries)


def main() -> None:
    request_started.disconnect(reset_queries)  # so CaptureQueriesContext sees a whole request
    empty_store()
    groups = ensure_role_groups()
    user, _ = get_user_model().objects.get_or_create(username="bench-physician")
    user.groups.set([groups["physician"]])
    patient_id = long_history_patient(2000)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    rows, failed = [], []
    pages = [(t.label, reverse(t.url_name, kwargs={"patient_id": patient_id})) for t in TABS]
    pages.append(
        ("Decision support (patient-view)", reverse("chart-cds", kwargs={"patient_id": patient_id}))
    )
    for label, url in pages:
        for kind, headers in (("page", {}), ("fragment", HTMX)):
            if label.startswith("Decision") and kind == "page":
                continue
            samples, queries = timed(client, url, headers)
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            ok = p50 <= P50_TARGET and p95 <= P95_TARGET
            if not ok:
                failed.append(f"{label} {kind}")
            rows.append([label, kind, queries, f"{p50:.1f}", f"{p95:.1f}", "ok" if ok else "SLOW"])
    print_table(
        f"Workspace pages, patient with 2,001 resources, {RUNS} runs each (ms, server time)",
        [
            "page",
            "kind",
            "queries",
            "p50",
            "p95",
            f"target p50<={P50_TARGET:g} p95<={P95_TARGET:g}",
        ],
        rows,
    )
    print("\nreproduce: .venv/bin/python bench/bench_workspace.py", RUNS)
    if failed:
        print("over target:", ", ".join(failed))


if __name__ == "__main__":
    main()
