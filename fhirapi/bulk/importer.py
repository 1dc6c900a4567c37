"""The import pipeline: items (sources.py) in, resources written (writer.py), a result per file.

Each Bundle is written in one transaction: it is imported whole or not at all. NDJSON is written
in chunks of `chunk_size` lines, each in its own transaction; a line that fails (not JSON, not a
valid resource, an unresolvable conditional reference) is reported by number and left out, and
the rest of its chunk is written. References are not required to exist (NDJSON files arrive in
any order and refer to each other in cycles); conditional references must resolve.
"""

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from django.db import DatabaseError, transaction

from fhirapi.bulk.bundles import bundle_resources, with_id
from fhirapi.bulk.conditional import ReferenceResolver
from fhirapi.bulk.sources import ArchiveLimits, ArchiveRefused, ImportItem, ItemKind, import_sources
from fhirapi.bulk.writer import (
    WriteCounts,
    last_of_each,
    resources_upsert_retrying,
    transaction_retrying,
)
from fhirapi.errors import FhirError
from fhirapi.services import FhirRepository
from fhirapi.store.writes import ID_PATTERN

logger = logging.getLogger(__name__)

MAX_ERRORS = 1000  # per file; past this the file is abandoned
# A line that may hold a conditional reference (`"reference": "Practitioner?identifier=..."`):
# only those are walked for references to rewrite.
CONDITIONAL_REFERENCE = re.compile(rb'"reference"\s*:\s*"[A-Za-z]+\?')
ERRORS_KEPT = 20  # per file, in the result


@dataclass
class FileResult:
    name: str
    counts: WriteCounts = field(default_factory=WriteCounts)
    errors: int = 0
    messages: list[str] = field(default_factory=list)
    failure: str | None = None  # why nothing (more) of the file was imported
    skipped: str | None = None
    seconds: float = 0.0

    @property
    def resources(self) -> int:
        return self.counts.total

    @property
    def ok(self) -> bool:
        return self.failure is None and self.errors == 0

    @property
    def status(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        if self.failure:
            return f"failed: {self.failure}"
        if self.errors:
            return f"{self.errors} error(s), first: {self.messages[0]}"
        return "ok"

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.messages) < ERRORS_KEPT:
            self.messages.append(message)
        if self.errors > MAX_ERRORS:
            raise _Abandon(f"more than {MAX_ERRORS} errors")

    def add(self, part: "FileResult") -> None:
        """Count in the result of a part of the same file (imported by a worker process)."""
        if self.skipped:  # not FHIR NDJSON: what its other lines gave is of no interest
            return
        self.counts.add(part.counts)
        self.skipped = part.skipped
        self.failure = self.failure or part.failure
        self.errors += part.errors
        self.messages.extend(part.messages[: ERRORS_KEPT - len(self.messages)])
        if self.errors > MAX_ERRORS and not self.failure:
            self.failure = f"more than {MAX_ERRORS} errors"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "resources": self.resources,
            "created": self.counts.created,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "errors": self.errors,
            "messages": self.messages,
            "seconds": round(self.seconds, 2),
            "status": self.status,
        }


@dataclass
class Progress:
    bytes_total: int
    bytes_done: int = 0
    resources: int = 0
    errors: int = 0
    current: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


ProgressCallback = Callable[[Progress], None]


class _Abandon(Exception):
    """Stop reading the current file."""


@dataclass
class _Line:
    number: int
    resource: dict[str, Any]


class Importer:
    def __init__(
        self,
        *,
        repository: FhirRepository | None = None,
        chunk_size: int = 1000,
        on_progress: ProgressCallback | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.repository = repository or FhirRepository(lenient_references=True)
        self.resolver = ReferenceResolver(self.repository)
        self.chunk_size = chunk_size
        self.on_progress = on_progress or (lambda progress: None)
        self.limits = limits or ArchiveLimits.from_settings()
        self.progress = Progress(0)

    def import_paths(self, paths: Iterable[Path]) -> list[FileResult]:
        with import_sources(list(paths), limits=self.limits) as sources:
            results = [FileResult(name, failure=reason) for name, reason in sources.refused]
            self.progress = Progress(sources.total_bytes)
            results.extend(self.import_items(sources.items))
        return results

    def import_items(self, items: list[ImportItem]) -> list[FileResult]:
        """The items in order, one after the other (parallel.py: in worker processes)."""
        return [self.import_item(item) for item in items]

    def import_item(self, item: ImportItem) -> FileResult:
        result = FileResult(item.name)
        self.progress.current = item.name
        done_before = self.progress.bytes_done

        def read_and_write() -> None:
            with item.open() as stream:
                if item.kind is ItemKind.NDJSON:
                    self._ndjson(stream, result)
                else:
                    self.import_json(stream.read(), result)

        run_guarded(result, read_and_write)
        self.progress.bytes_done = done_before + item.size
        self.progress.errors += result.errors + (1 if result.failure else 0)
        self.on_progress(self.progress)
        return result

    def import_resources(self, resources: Iterable[dict[str, Any]], name: str) -> FileResult:
        """Import resources made in memory (the demo population), in chunks, like NDJSON."""
        result = FileResult(name)
        started = time.monotonic()
        lines = (_Line(number, resource) for number, resource in enumerate(resources, 1))
        try:
            for chunk in _chunks(lines, self.chunk_size):
                self._write_chunk(chunk, result)
        except _Abandon as exc:
            result.failure = str(exc)
        result.seconds = time.monotonic() - started
        return result

    # -- NDJSON --------------------------------------------------------------------------------

    def _ndjson(self, stream, result: FileResult) -> None:
        for chunk in _chunks(self._ndjson_lines(stream, result), self.chunk_size):
            self._write_chunk(chunk, result)

    def _ndjson_lines(self, stream, result: FileResult) -> Iterator[_Line]:
        base = self.progress.bytes_done
        read = 0
        for number, raw in enumerate(stream, 1):
            read += len(raw)
            self.progress.bytes_done = base + read
            if not raw.strip():
                continue
            line = self._parsed_line(number, raw, result)
            if line is not None:
                yield line

    def _parsed_line(self, number: int, raw: bytes, result: FileResult) -> _Line | None:
        try:
            resource = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            result.error(f"line {number}: not JSON ({exc})")
            return None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            if number == 1:
                result.skipped = "not FHIR NDJSON (the first line is no resource)"
                raise _Abandon(result.skipped)
            result.error(f"line {number}: not a FHIR resource")
            return None
        resource_id = resource.get("id")
        if resource_id is not None and not (
            isinstance(resource_id, str) and ID_PATTERN.fullmatch(resource_id)
        ):
            result.error(f"line {number}: {resource_id!r} is not a valid id")
            return None
        if CONDITIONAL_REFERENCE.search(raw):
            try:
                resource = self.resolver.rewrite(resource)
            except FhirError as exc:
                result.error(f"line {number}: {exc}")
                return None
        return _Line(number, with_id(resource, resource_id))

    def import_lines(self, raws: list[bytes], first: int, result: FileResult) -> None:
        """Import NDJSON lines, numbered from `first`, as one chunk (parallel.py's task)."""
        numbered = enumerate(raws, first)
        lines = (self._parsed_line(n, raw, result) for n, raw in numbered if raw.strip())
        self._write_chunk([line for line in lines if line is not None], result)

    def _write_chunk(self, chunk: list[_Line], result: FileResult) -> None:
        """Write the chunk in one transaction; a failing line is reported and left out."""
        pending = _last_of_each(chunk)
        while pending:
            try:
                resources = [line.resource for line in pending]
                counts = transaction_retrying(
                    partial(resources_upsert_retrying, self.repository, resources)
                )
            except FhirError as exc:
                label = getattr(exc, "label", None)
                if not isinstance(label, int):
                    raise
                result.error(f"line {pending[label].number}: {_message(exc)}")
                del pending[label]
                continue
            except DatabaseError as exc:
                for line in pending:
                    result.error(f"line {line.number}: {exc}".splitlines()[0])
                return
            result.counts.add(counts)
            self.progress.resources += counts.total
            self.on_progress(self.progress)
            return

    # -- JSON: a Bundle or one resource ---------------------------------------------------------

    def import_json(self, body: bytes, result: FileResult) -> None:
        """Import a Bundle (whole or not at all) or a single resource. A transaction aborted
        to break a deadlock is run again from the bytes: the first run rewrote references in
        place, to what its conditional entries matched then."""
        try:
            counts = transaction_retrying(partial(self._json_transaction, body))
        except DatabaseError as exc:
            raise _Abandon(str(exc).splitlines()[0]) from None
        result.counts.add(counts)
        self.progress.resources += counts.total
        self.on_progress(self.progress)

    def _json_transaction(self, body: bytes) -> WriteCounts:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _Abandon(f"not JSON ({exc})") from None
        if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
            raise _Abandon("not a FHIR resource or Bundle")
        with transaction.atomic():  # conditional entries' locks (bundles.py) held to the end
            return self._json_write(document)

    def _json_write(self, document: dict[str, Any]) -> WriteCounts:
        try:
            if document["resourceType"] == "Bundle":
                resources = last_of_each(bundle_resources(document, self.resolver))
            else:
                resources = [with_id(document, document.get("id"))]
        except FhirError as exc:
            raise _Abandon(_message(exc)) from None
        try:
            return resources_upsert_retrying(self.repository, resources)
        except FhirError as exc:
            label = getattr(exc, "label", None)
            where = f"{_describe(resources[label])}: " if isinstance(label, int) else ""
            raise _Abandon(f"{where}{_message(exc)}") from None


def run_guarded(result: FileResult, work: Callable[[], None]) -> None:
    """Run the import of (part of) a file: what stops it is recorded on its result."""
    started = time.monotonic()
    try:
        work()
    except (_Abandon, ArchiveRefused, OSError) as exc:
        if not result.skipped:
            result.failure = str(exc)
    except Exception as exc:  # a bug: reported with the file, and the other files go on
        logger.exception("import of %s failed", result.name)
        result.failure = f"internal error: {exc!r}"
    result.seconds += time.monotonic() - started


def _chunks(lines: Iterator[_Line], size: int) -> Iterator[list[_Line]]:
    chunk: list[_Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _last_of_each(chunk: list[_Line]) -> list[_Line]:
    latest = {(line.resource["resourceType"], line.resource["id"]): line for line in chunk}
    return list(latest.values())


def _describe(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _message(exc: FhirError) -> str:
    details = "; ".join(
        issue.diagnostics + (f" (at {issue.expression[0]})" if issue.expression else "")
        for issue in exc.issues[:3]
    )
    return details or str(exc)
