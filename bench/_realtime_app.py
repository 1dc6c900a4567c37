"""The server application of bench_realtime.py: WintEHR's, plus a clock at the moment of commit.

Every committed change's resource id and wall-clock time are appended to the file named by
BENCH_COMMIT_LOG, from the first of the store's after-commit subscribers, so the benchmark can
count from the commit itself whichever server process made it."""

import os
import time

# isort: off
from wintehr.asgi import application  # noqa: F401 - served by uvicorn; sets Django up first
from fhirapi.store import events

# isort: on

_log = open(os.environ["BENCH_COMMIT_LOG"], "a", buffering=1)  # noqa: SIM115 - open while serving


def _commit_clock(batch: list) -> None:
    now = time.time()
    _log.write("".join(f"{event.resource_id} {now:.6f}\n" for event in batch))


events._batch_subscribers.insert(0, _commit_clock)
