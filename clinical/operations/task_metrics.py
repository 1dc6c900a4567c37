"""Counts and times every Celery task by name (wintehr/metrics.py), from Celery's signals, in the
process that runs the task: the worker's, or the caller's when tasks run eagerly (no REDIS_URL).

The outcome is read from task_postrun's state rather than from task_failure and task_retry: run
eagerly with CELERY_TASK_EAGER_PROPAGATES, an error reaches the caller before Celery records a
state or sends those two signals, and postrun then reports the state None."""

import time

from celery.signals import task_postrun, task_prerun

from wintehr.metrics import CELERY_TASK_DURATION, CELERY_TASKS

EVENTS = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried", None: "failed"}


@task_prerun.connect
def task_started(*, task, **kwargs) -> None:
    task.request.wintehr_started = time.perf_counter()  # per run: a retry has a request of its own
    CELERY_TASKS.labels(task.name, "started").inc()


@task_postrun.connect
def task_finished(*, task, state, **kwargs) -> None:
    started = getattr(task.request, "wintehr_started", None)
    if started is not None:
        CELERY_TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    if state in EVENTS:
        CELERY_TASKS.labels(task.name, EVENTS[state]).inc()
