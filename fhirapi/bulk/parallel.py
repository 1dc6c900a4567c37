"""Importing with worker processes: Python runs one thread at a time, and an import spends most of
its time in Python (parsing, validation, reference rewriting, index extraction), so processes
are what can use more cores. bench/bench_bulk.py --workers N measures it.

The parent reads the files (archives and their limits stay with it) and hands out tasks: a whole
JSON document (a Bundle: still one transaction, imported whole or not at all) or `chunk_size` raw
NDJSON lines. Each worker parses, validates, rewrites references, extracts index rows and writes
the task with its own database connection, exactly as the serial Importer does (the same code),
and sends back a FileResult for the part it wrote; the parent adds the parts up per file, in the
order the tasks were handed out, for the progress and the summary.

Load order is kept: each file that sources.py loads first (Synthea's hospital and practitioner
Bundles, Organization, Location, Practitioner... NDJSON files) is finished before the next file
starts, so conditional references to them resolve the same as in a serial import; the other files
are imported side by side. Bundles loaded first are imported by the parent itself, before the
workers are forked. Concurrent writes stay safe: a conditional Bundle entry locks its query
as the store does (ReferenceResolver.lock_queries), and two workers creating the same resource
meet on the unique key, the second then updating it (writer.resources_upsert_retrying). Locks are
taken in one order (a Bundle's conditions sorted, resources by key); a transaction PostgreSQL
aborts all the same to break a deadlock (with another writer) is run again
(writer.transaction_retrying). Workers die with the parent, even one killed outright.
Unlike a serial import, one id given twice (in two files, or two chunks of one NDJSON file) may
end with either content (the serial import keeps the last). Inside an open database transaction
(workers could not see what it wrote) or in a daemon process, the import stays serial.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, connections

from fhirapi.bulk.importer import FileResult, Importer, run_guarded
from fhirapi.bulk.sources import ImportItem, ItemKind
from wintehr.celery import app as celery_app

TASKS_PER_WORKER = 3  # handed out ahead, so that no worker waits for the parent
PR_SET_PDEATHSIG = 1  # linux/prctl.h

Task = tuple[str, ItemKind, int, Any]  # (file name, kind, first line number, bytes or lines)

_worker: Importer | None = None  # in a worker process


def default_workers() -> int:
    return settings.FHIR_IMPORT_WORKERS


def importer_for(*, workers: int, **options: Any) -> Importer:
    """An Importer using `workers` processes (1: the serial Importer itself)."""
    return ParallelImporter(workers=workers, **options) if workers > 1 else Importer(**options)


@dataclass
class _FileRun:
    result: FileResult
    started: float = field(default_factory=time.monotonic)


class ParallelImporter(Importer):
    def __init__(self, *, workers: int, **options: Any) -> None:
        super().__init__(**options)
        self.workers = workers
        self.pending: deque[tuple[_FileRun, Future]] = deque()

    def import_items(self, items: list[ImportItem]) -> list[FileResult]:
        if connection.in_atomic_block or multiprocessing.current_process().daemon:
            # Workers could not see what this open transaction wrote (and a daemon process
            # may not start them): import here, one item after another.
            return super().import_items(items)
        order = _hand_out_order(items)
        leading = _leading_documents(items, order)
        # Each is one task that must end before anything else starts, so it loses nothing run
        # here; and the workers, forked afterwards, inherit what it compiled (search plans,
        # validation rules for its types) instead of each compiling it again.
        results = {index: self.import_item(items[index]) for index in leading}
        connections.close_all()  # the workers must not share the parent's connection
        celery_app.pool.force_close_all()  # nor its broker connections (kombu closes them at fork)
        pool = ProcessPoolExecutor(  # forked: no connection open, settings as they are
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_start,
            initargs=(self.chunk_size, os.getpid()),
        )
        try:
            for index in order[len(leading) :]:
                results[index] = self._hand_out(pool, items[index]).result
            self._drain(keep=0)
        finally:
            self.pending.clear()
            pool.shutdown(cancel_futures=True)
        return [results[index] for index in range(len(items))]

    def _hand_out(self, pool: ProcessPoolExecutor, item: ImportItem) -> _FileRun:
        """Read the item and hand out its tasks; an item loaded first is finished here."""
        run = _FileRun(FileResult(item.name))
        self.progress.current = item.name
        done_before = self.progress.bytes_done

        def read() -> None:
            with item.open() as stream:
                for task, size in _tasks(item, stream, self.chunk_size):
                    self._drain(keep=self.workers * TASKS_PER_WORKER - 1)
                    if run.result.failure:
                        return
                    self.pending.append((run, pool.submit(_worker_task, *task)))
                    self.progress.bytes_done += size

        run_guarded(run.result, read)
        self.progress.bytes_done = done_before + item.size
        if item.order[0] == 0:  # load order: referred to by what follows
            self._drain(keep=0)
        return run

    def _drain(self, *, keep: int) -> None:
        """Wait for the oldest tasks until at most `keep` are pending, adding up their results."""
        while len(self.pending) > keep:
            run, task = self.pending.popleft()
            part: FileResult = task.result()  # a worker that died: BrokenProcessPool
            run.result.add(part)
            run.result.seconds = time.monotonic() - run.started
            self.progress.resources += part.resources
            self.progress.errors += part.errors + (1 if part.failure else 0)
            self.on_progress(self.progress)


def _hand_out_order(items: list[ImportItem]) -> list[int]:
    """The indexes of the items loaded first, in their order, then of the others largest first:
    the last tasks are small ones, and no worker is left alone with a large Bundle at the end."""
    first = [index for index, item in enumerate(items) if item.order[0] == 0]
    others = [index for index, item in enumerate(items) if item.order[0] != 0]
    return first + sorted(others, key=lambda index: -items[index].size)


def _leading_documents(items: list[ImportItem], order: list[int]) -> list[int]:
    """The JSON documents (Bundles) loaded first at the head of the hand-out order."""
    leading = []
    for index in order:
        if items[index].order[0] != 0 or items[index].kind is not ItemKind.JSON:
            break
        leading.append(index)
    return leading


def _tasks(item: ImportItem, stream: BinaryIO, chunk_size: int) -> Iterator[tuple[Task, int]]:
    """The item's tasks, each with the bytes it covers: the whole document, or `chunk_size`
    NDJSON lines at a time."""
    if item.kind is ItemKind.JSON:
        yield (item.name, item.kind, 0, stream.read()), 0
        return
    lines: list[bytes] = []
    first = 1
    for number, raw in enumerate(stream, 1):
        lines.append(raw)
        if len(lines) >= chunk_size:
            yield (item.name, item.kind, first, lines), sum(map(len, lines))
            first, lines = number + 1, []
    if lines:
        yield (item.name, item.kind, first, lines), sum(map(len, lines))


def _worker_start(chunk_size: int, parent: int) -> None:
    global _worker
    _die_with_parent(parent)
    _worker = Importer(chunk_size=chunk_size)


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive its parent: a parent killed outright (the OOM killer, a killed
    Celery worker) cannot stop it, and it would wait on the task queue for ever. Linux kills it
    when the thread that forked it ends (the one running import_items, until the pool is shut
    down); a parent that ended before that was asked has already left the worker to another."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)


def _worker_task(name: str, kind: ItemKind, first: int, data: Any) -> FileResult:
    """Import a JSON document (`data`: its bytes) or NDJSON lines (`data`: the raw lines,
    numbered from `first`) with this process's Importer: the result of that part of the file."""
    assert _worker is not None
    importer = _worker
    result = FileResult(name)
    if kind is ItemKind.JSON:
        run_guarded(result, lambda: importer.import_json(data, result))
    else:
        run_guarded(result, lambda: importer.import_lines(data, first, result))
    return result
