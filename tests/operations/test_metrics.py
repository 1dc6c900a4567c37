import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task
from prometheus_client import REGISTRY

from clinical.operations.status import redis_client
from tests.fhirapi.conftest import patient
from tests.operations.test_status import redis_answers
from wintehr.metrics import websocket_connection_closed, websocket_connection_opened

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = "tests.operations.test_metrics.probe"


@shared_task(bind=True, name=PROBE, max_retries=1)
def probe(self, outcome: str) -> str:
    if outcome == "fail":
        raise ValueError("the probe fails")
    if outcome == "retry" and not self.request.retries:
        raise self.retry(countdown=0)
    return outcome


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_metrics_refuse_anonymous_and_other_users(anonymous_client, signed_in, physician):
    assert anonymous_client.get("/metrics").status_code == 401
    response = signed_in(physician).get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_metrics_for_staff_session(signed_in, administrator):
    response = signed_in(administrator).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "wintehr_http_requests_total" in text
    assert 'wintehr_component_up{component="database"} 1.0' in text
    assert 'wintehr_db_table_rows_estimate{table="fhirapi_resourcerecord"}' in text
    assert "wintehr_db_connections{state=" in text


@pytest.mark.django_db
def test_metrics_bearer_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_no_token_configured_refuses_any_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_fhir_requests_counted_by_interaction_and_type(api):
    created = ("wintehr_fhir_requests_total", "create", "Patient", "201")
    before = {
        key: sample(key[0], interaction=key[1], resource_type=key[2], status=key[3])
        for key in [created]
    }
    searches = sample("wintehr_fhir_search_duration_seconds_count", resource_type="Patient")
    reads = sample(
        "wintehr_fhir_request_duration_seconds_count", interaction="read", resource_type="Patient"
    )
    response = api.fhir("POST", "/fhir/Patient", patient())
    assert response.status_code == 201
    api.fhir("GET", f"/fhir/Patient/{response.json()['id']}")
    api.fhir("GET", "/fhir/Patient?family=Chalmers")
    after = sample(created[0], interaction="create", resource_type="Patient", status="201")
    assert after == before[created] + 1
    assert (
        sample(
            "wintehr_fhir_request_duration_seconds_count",
            interaction="read",
            resource_type="Patient",
        )
        == reads + 1
    )
    assert (
        sample("wintehr_fhir_search_duration_seconds_count", resource_type="Patient")
        == searches + 1
    )
    assert (
        sample("wintehr_http_requests_total", route="fhir-instance", method="GET", status="200")
        >= 1
    )


@pytest.mark.django_db
def test_transaction_and_history_labels(api):
    transactions = sample(
        "wintehr_fhir_request_duration_seconds_count", interaction="transaction", resource_type=""
    )
    histories = sample(
        "wintehr_fhir_request_duration_seconds_count", interaction="history", resource_type=""
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": patient(), "request": {"method": "POST", "url": "Patient"}}],
    }
    assert api.fhir("POST", "/fhir", bundle).status_code == 200
    assert api.fhir("GET", "/fhir/_history").status_code == 200
    assert (
        sample(
            "wintehr_fhir_request_duration_seconds_count",
            interaction="transaction",
            resource_type="",
        )
        == transactions + 1
    )
    assert (
        sample(
            "wintehr_fhir_request_duration_seconds_count", interaction="history", resource_type=""
        )
        == histories + 1
    )


@pytest.mark.django_db
def test_made_up_types_do_not_become_labels(api):
    api.fhir("GET", "/fhir/Madeup123Type")
    api.fhir("GET", "/fhir/Zzzunknown/1")
    families = [metric.samples for metric in REGISTRY.collect()]
    labels = {s.labels.get("resource_type") for samples in families for s in samples}
    assert "Madeup123Type" not in labels and "Zzzunknown" not in labels
    routes = {s.labels.get("route") for samples in families for s in samples}
    assert not any("Zzzunknown" in str(route) for route in routes)


def test_websocket_gauge_helpers():
    start = sample("wintehr_websocket_connections")
    websocket_connection_opened()
    websocket_connection_opened()
    assert sample("wintehr_websocket_connections") == start + 2
    websocket_connection_closed()
    websocket_connection_closed()
    assert sample("wintehr_websocket_connections") == start


def test_multiprocess_mode_adds_up_processes(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = (
        "from wintehr import metrics; "
        "metrics.HTTP_REQUESTS.labels('probe', 'GET', '200').inc(); "
        "metrics.websocket_connection_opened()"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], env=env, cwd=REPO_ROOT, check=True)
    report = "from wintehr import metrics; print(metrics.process_metrics_text().decode())"
    out = subprocess.run(
        [sys.executable, "-c", report],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert 'wintehr_http_requests_total{method="GET",route="probe",status="200"} 2.0' in out
    assert len(list(tmp_path.glob("counter_*.db"))) == 2


@pytest.mark.django_db
@pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_metrics_report_celery_queue_lengths(signed_in, administrator, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/14"
    with redis_client() as client:
        client.delete("celery")
        client.lpush("celery", "a", "b")
        try:
            text = signed_in(administrator).get("/metrics").content.decode()
        finally:
            client.delete("celery")
    assert 'wintehr_celery_queue_length{queue="celery"} 2.0' in text
    assert 'wintehr_component_up{component="redis"} 1.0' in text


def task_count(event: str) -> float:
    return sample("wintehr_celery_tasks_total", task=PROBE, event=event)


@pytest.mark.django_db
def test_celery_tasks_counted_and_timed_by_name(signed_in, administrator):
    events = ("started", "succeeded", "failed", "retried")
    before = {event: task_count(event) for event in events}
    runs = sample("wintehr_celery_task_duration_seconds_count", task=PROBE)
    probe.delay("ok")
    # fails once, then succeeds on its retry (run eagerly, a retry would propagate as an error)
    probe.apply(args=["retry"], throw=False)
    with pytest.raises(ValueError):  # propagated to the caller, as eager tasks here do
        probe.delay("fail")
    counted = {event: task_count(event) - before[event] for event in events}
    assert counted == {"started": 4, "succeeded": 2, "failed": 1, "retried": 1}
    assert sample("wintehr_celery_task_duration_seconds_count", task=PROBE) == runs + 4
    text = signed_in(administrator).get("/metrics").content.decode()
    assert f'wintehr_celery_tasks_total{{event="failed",task="{PROBE}"}}' in text
    assert f'wintehr_celery_task_duration_seconds_bucket{{le="3600.0",task="{PROBE}"}}' in text


def test_metrics_add_in_the_celery_workers_directory(tmp_path):
    web, worker = tmp_path / "web", tmp_path / "worker"
    run_tasks = (
        "import django; django.setup(); "
        "from tests.operations.test_metrics import probe; "
        "[probe.apply(args=[outcome], throw=False) for outcome in ('ok', 'retry', 'fail')]"
    )
    report = (
        "from wintehr import metrics; "
        f"print(metrics.process_metrics_text(worker_dir={str(worker)!r}).decode())"
    )
    for directory, code in [(worker, run_tasks), (web, run_tasks), (web, report)]:
        directory.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "PROMETHEUS_MULTIPROC_DIR": str(directory),
            "DJANGO_SETTINGS_MODULE": "wintehr.settings",
        }
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    # the web's and the worker's runs added up, each metric once
    for event, count in [("started", 8), ("succeeded", 4), ("retried", 2), ("failed", 2)]:
        assert f'wintehr_celery_tasks_total{{event="{event}",task="{PROBE}"}} {count}.0' in out
    assert out.count("# TYPE wintehr_celery_tasks_total counter") == 1
