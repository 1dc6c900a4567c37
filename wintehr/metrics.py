"""Prometheus metrics: what WintEHR measures in its processes, and the registry behind /metrics.

One process (the default, `make run`): values live in this process's registry. Several processes
(uvicorn `--workers N`, Celery): set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by them
(`$WINTEHR_DATA_DIR/metrics` in deploy/) before they start; prometheus_client then keeps each
process's values in files there and /metrics adds them up (docs/deployment.md).

Other apps record through the helpers here, never through prometheus_client directly:
`websocket_connection_opened()` / `websocket_connection_closed()` around a websocket's life, and
`search_timer(resource_type)` around a search. Celery tasks are counted by the signal receivers
of clinical/operations/task_metrics.py, in the process that runs them: with REDIS_URL the worker,
whose directory (PROMETHEUS_WORKER_MULTIPROC_DIR) /metrics adds to the web processes' one.
"""

import glob
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "wintehr_http_requests",
    "HTTP requests answered, by route (URL pattern name), method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "wintehr_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
FHIR_REQUESTS = Counter(
    "wintehr_fhir_requests",
    "FHIR REST requests answered, by interaction, resource type and status code.",
    ["interaction", "resource_type", "status"],
)
FHIR_LATENCY = Histogram(
    "wintehr_fhir_request_duration_seconds",
    "Time to answer a FHIR REST request, by interaction and resource type.",
    ["interaction", "resource_type"],
    buckets=LATENCY_BUCKETS,
)
SEARCH_LATENCY = Histogram(
    "wintehr_fhir_search_duration_seconds",
    "Time of a search in the store (REST, workspace and explorer alike), by resource type "
    "('*' for a search of every type).",
    ["resource_type"],
    buckets=LATENCY_BUCKETS,
)
CELERY_TASKS = Counter(
    "wintehr_celery_tasks",
    "Celery tasks by task name and event: started, succeeded, failed, retried.",
    ["task", "event"],
)
CELERY_TASK_DURATION = Histogram(
    "wintehr_celery_task_duration_seconds",
    "Run time of a Celery task (whatever its outcome), by task name.",
    ["task"],
    buckets=(*LATENCY_BUCKETS, 60.0, 300.0, 900.0, 3600.0),
)
WEBSOCKET_CONNECTIONS = Gauge(
    "wintehr_websocket_connections",
    "Websocket connections open now (summed over the live web processes).",
    multiprocess_mode="livesum",
)


def websocket_connection_opened() -> None:
    """Call when a websocket is accepted (the realtime consumers' connect)."""
    WEBSOCKET_CONNECTIONS.inc()


def websocket_connection_closed() -> None:
    """Call once when an accepted websocket closes (the consumers' disconnect)."""
    WEBSOCKET_CONNECTIONS.dec()


@contextmanager
def search_timer(resource_type: str | None) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        SEARCH_LATENCY.labels(resource_type or "*").observe(time.perf_counter() - started)


def process_metrics_text(*, worker_dir: str = "") -> bytes:
    """The text exposition of the values recorded by this process, or by all of them: in
    multiprocess mode also those the Celery worker's processes keep in `worker_dir`."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    registry.register(DirectoriesCollector([os.environ["PROMETHEUS_MULTIPROC_DIR"], worker_dir]))
    return generate_latest(registry)


class DirectoriesCollector(Collector):
    """prometheus_client's MultiProcessCollector over several directories: each metric added up
    over the files of all of them, so that it appears once."""

    def __init__(self, directories: list[str]) -> None:
        self.directories = [directory for directory in directories if directory]

    def collect(self) -> Iterable[Metric]:
        files = [path for d in self.directories for path in glob.glob(os.path.join(d, "*.db"))]
        return multiprocess.MultiProcessCollector.merge(files, accumulate=True)
