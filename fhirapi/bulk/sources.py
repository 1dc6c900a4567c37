"""What an import reads: files, directories and `.zip` / `.tar.gz` archives turned into a list
of items, each an NDJSON file or a JSON document (a Bundle or a single resource).

Archives are guarded: more entries than `FHIR_IMPORT_MAX_ARCHIVE_ENTRIES`, or more uncompressed
bytes than `FHIR_IMPORT_MAX_ARCHIVE_BYTES` (counted as they are read, not as headers claim), and
the archive is refused. Members are never written under their own names: zip members are read in
place, tar members are copied to numbered files in a private temporary directory, removed at the
end. Members with absolute or `..` paths, links and devices are refused by name in the report.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

from fhirapi.store.resource_types import is_resource_type

# Referenced by what follows: loaded first, so conditional references to them resolve.
TYPE_ORDER = (
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Medication",
    "Patient",
    "RelatedPerson",
    "Group",
    "Encounter",
)
SYNTHEA_SHARED_BUNDLES = ("hospitalInformation", "practitionerInformation")
COPY_BLOCK = 1024 * 1024


class ItemKind(StrEnum):
    NDJSON = "ndjson"
    JSON = "json"  # a Bundle, or one resource


class ArchiveRefused(Exception):
    """The archive breaks a limit (entries, size) or cannot be read; nothing of it is imported."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int
    max_entries: int

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        return cls(settings.FHIR_IMPORT_MAX_ARCHIVE_BYTES, settings.FHIR_IMPORT_MAX_ARCHIVE_ENTRIES)


@dataclass(frozen=True)
class ImportItem:
    name: str  # a path, or `archive.zip!member/path.ndjson`
    kind: ItemKind
    size: int  # bytes, for progress
    open: Callable[[], BinaryIO]

    @property
    def type_hint(self) -> str | None:
        """The resource type a Bulk Data file name starts with (`Patient.000.ndjson`)."""
        stem = PurePosixPath(self.name.rsplit("!", 1)[-1]).name.split(".", 1)[0]
        return stem if is_resource_type(stem) else None

    @property
    def order(self) -> tuple[int, int, str]:
        if self.type_hint in TYPE_ORDER:
            return (0, TYPE_ORDER.index(self.type_hint), self.name)
        if any(marker in self.name for marker in SYNTHEA_SHARED_BUNDLES):
            return (0, -1, self.name)
        return (1, 0, self.name)


@dataclass
class Sources:
    items: list[ImportItem] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.items)


@contextlib.contextmanager
def import_sources(paths: list[Path], *, limits: ArchiveLimits) -> Iterator[Sources]:
    """The items under `paths`, in load order; archives stay open until the block ends."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wintehr-import-")))
        sources = Sources()
        for path in paths:
            _add_path(Path(path), sources, stack, workdir, limits)
        sources.items.sort(key=lambda item: item.order)
        yield sources


def kind_of(name: str) -> ItemKind | None:
    lowered = name.lower()
    if lowered.endswith(".ndjson"):
        return ItemKind.NDJSON
    if lowered.endswith(".json"):
        return ItemKind.JSON
    return None


def is_archive(name: str) -> bool:
    return name.lower().endswith((".zip", ".tar.gz", ".tgz", ".tar"))


def _add_path(
    path: Path, sources: Sources, stack: contextlib.ExitStack, workdir: Path, limits: ArchiveLimits
) -> None:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if is_archive(child.name) or kind_of(child.name):
                _add_path(child, sources, stack, workdir, limits)
        return
    if not path.is_file():
        sources.refused.append((str(path), "no such file or directory"))
        return
    if is_archive(path.name):
        try:
            _add_archive(path, sources, stack, workdir, limits)
        except ArchiveRefused as exc:
            sources.refused.append((str(path), str(exc)))
        return
    kind = kind_of(path.name)
    if kind is None:
        sources.refused.append((str(path), "not .json, .ndjson, .zip or .tar.gz"))
        return
    sources.items.append(ImportItem(str(path), kind, path.stat().st_size, _opener(path)))


def _add_archive(
    path: Path, sources: Sources, stack: contextlib.ExitStack, workdir: Path, limits: ArchiveLimits
) -> None:
    budget = Budget(limits.max_bytes, str(path))
    if path.name.lower().endswith(".zip"):
        try:
            archive = stack.enter_context(zipfile.ZipFile(path))
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArchiveRefused(f"not a readable zip archive: {exc}") from None
        _add_zip_members(path, archive, sources, budget, limits)
    else:
        _add_tar_members(path, sources, workdir, budget, limits)


def _add_zip_members(
    path: Path, archive: zipfile.ZipFile, sources: Sources, budget: Budget, limits: ArchiveLimits
) -> None:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_entries:
        raise ArchiveRefused(f"more than {limits.max_entries:,} entries")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_bytes:
        raise ArchiveRefused(
            f"{declared:,} bytes uncompressed, more than the {limits.max_bytes:,} allowed"
        )
    for info in infos:
        name = f"{path}!{info.filename}"
        problem = member_problem(info.filename)
        if problem:
            sources.refused.append((name, problem))
            continue
        kind = kind_of(info.filename)
        if kind is None or _ignored(info.filename):
            continue

        def opener(info: zipfile.ZipInfo = info) -> BinaryIO:
            return budget.reader(archive.open(info))

        sources.items.append(ImportItem(name, kind, info.file_size, opener))


def _add_tar_members(
    path: Path, sources: Sources, workdir: Path, budget: Budget, limits: ArchiveLimits
) -> None:
    """Copy the data members to numbered files in `workdir` (one pass over the stream)."""
    entries = 0
    try:
        with tarfile.open(path, "r|*") as archive:
            for member in archive:
                entries += 1
                if entries > limits.max_entries:
                    raise ArchiveRefused(f"more than {limits.max_entries:,} entries")
                name = f"{path}!{member.name}"
                if member.isdir():
                    continue
                problem = member_problem(member.name) or (
                    None if member.isfile() else "not a regular file (link or device)"
                )
                if problem:
                    sources.refused.append((name, problem))
                    continue
                kind = kind_of(member.name)
                if kind is None or _ignored(member.name):
                    continue
                target = workdir / f"{entries:08d}.member"
                with archive.extractfile(member) as stream, target.open("wb") as out:
                    shutil.copyfileobj(budget.reader(stream), out, COPY_BLOCK)
                size = target.stat().st_size
                sources.items.append(ImportItem(name, kind, size, _opener(target)))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveRefused(f"not a readable tar archive: {exc}") from None


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return functools.partial(path.open, "rb")  # type: ignore[return-value]


def member_problem(name: str) -> str | None:
    """Why an archive member's path is unsafe (absolute, `..`, a drive), or None."""
    normalized = name.replace("\\", "/")
    parts = PurePosixPath(normalized).parts
    if normalized.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        return "unsafe path in archive (absolute or with ..)"
    return None


def _ignored(name: str) -> bool:
    """macOS resource forks and hidden files that archivers add."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


class Budget:
    """The uncompressed bytes an archive may still yield; reading past it refuses the archive."""

    def __init__(self, limit: int, name: str) -> None:
        self.left = limit
        self.limit = limit
        self.name = name

    def reader(self, stream: BinaryIO) -> BinaryIO:
        return _CountingReader(stream, self)  # type: ignore[return-value]

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise ArchiveRefused(f"more than {self.limit:,} bytes uncompressed")


class _CountingReader:
    def __init__(self, stream: BinaryIO, budget: Budget) -> None:
        self.stream = stream
        self.budget = budget

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.budget.spend(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        self.budget.spend(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
