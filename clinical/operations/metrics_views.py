"""GET /metrics: Prometheus text format, for staff sessions or `Authorization: Bearer
$METRICS_TOKEN`. The process metrics (wintehr/metrics.py) come with figures read at scrape time:
database connections and table sizes, and Celery queue depths."""

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from clinical.operations import status
from wintehr.metrics import process_metrics_text


class ScrapeTimeCollector(Collector):
    """Figures read when Prometheus asks; a part that cannot be read reports up=0."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "wintehr_component_up", "1 if the part answered this scrape.", labels=["component"]
        )
        try:
            yield from _database_metrics()
            up.add_metric(["database"], 1)
        except Exception:  # reported as up=0
            up.add_metric(["database"], 0)
        if settings.REDIS_URL:
            try:
                yield _queue_metric(status.queue_depths())
                up.add_metric(["redis"], 1)
            except Exception:
                up.add_metric(["redis"], 0)
        yield up


def _database_metrics() -> Iterator[Metric]:
    connections = GaugeMetricFamily(
        "wintehr_db_connections",
        "Server connections to this database, by state (pg_stat_activity).",
        labels=["state"],
    )
    for state, count in status.database_connections().items():
        connections.add_metric([state], count)
    rows = GaugeMetricFamily(
        "wintehr_db_table_rows_estimate",
        "Rows of the store's and audit trail's tables, as the planner estimates them "
        "(pg_class.reltuples).",
        labels=["table"],
    )
    for table, count in sorted(status.table_row_estimates().items()):
        rows.add_metric([table], count)
    yield connections
    yield rows


def _queue_metric(depths: dict[str, int]) -> Metric:
    queue = GaugeMetricFamily(
        "wintehr_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
    )
    for name, depth in depths.items():
        queue.add_metric([name], depth)
    return queue


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        response = HttpResponse("metrics need a staff session or the metrics token\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    registry.register(ScrapeTimeCollector())
    worker_dir = settings.PROMETHEUS_WORKER_MULTIPROC_DIR
    body = process_metrics_text(worker_dir=worker_dir) + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
