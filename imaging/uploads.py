"""What an upload holds: loose files, or zip archives (a DICOMDIR file-set zipped, say) opened with
guards against zip bombs and unsafe member names. Files are yielded one at a time, so an upload of
thousands of instances never sits in memory whole."""

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from django.conf import settings

ZIP_MAGIC = b"PK\x03\x04"
MAX_COMPRESSION_RATIO = 1000  # no real DICOM compresses this well; zip bombs do
IGNORED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class IncomingFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class RejectedFile:
    """A file refused before it was read as DICOM (unsafe archive member, over a limit)."""

    name: str
    reason: str


@dataclass(frozen=True)
class NamedStream:
    name: str
    stream: BinaryIO


Upload = IncomingFile | RejectedFile


def upload_files(streams: Iterable[NamedStream]) -> Iterator[Upload]:
    """Every file of the upload; members of zip archives in place of the archives."""
    budget = _Budget(settings.IMAGING_MAX_UPLOAD_BYTES)
    for item in streams:
        if zipfile.is_zipfile(item.stream):
            item.stream.seek(0)
            yield from archive_members(item.name, item.stream, budget)
            continue
        item.stream.seek(0)
        data = item.stream.read(budget.remaining + 1)
        if not budget.take(len(data)):
            yield RejectedFile(item.name, "the upload is larger than IMAGING_MAX_UPLOAD_BYTES")
            return
        yield IncomingFile(item.name, data)


class _Budget:
    def __init__(self, total: int) -> None:
        self.remaining = total

    def take(self, size: int) -> bool:
        if size > self.remaining:
            return False
        self.remaining -= size
        return True


def archive_members(name: str, stream: BinaryIO, budget: "_Budget") -> Iterator[Upload]:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as exc:
        yield RejectedFile(name, f"a damaged zip archive ({exc})")
        return
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and not _is_clutter(info.filename)
        ]
        refusal = _archive_refusal(members, budget.remaining)
        if refusal:
            yield RejectedFile(name, refusal)
            return
        for info in members:
            yield _member(archive, info, f"{name}:{info.filename}", budget)


def _archive_refusal(members: list[zipfile.ZipInfo], remaining: int) -> str:
    if len(members) > settings.IMAGING_MAX_ARCHIVE_ENTRIES:
        return (
            f"the archive holds {len(members)} files, more than IMAGING_MAX_ARCHIVE_ENTRIES "
            f"({settings.IMAGING_MAX_ARCHIVE_ENTRIES})"
        )
    if sum(info.file_size for info in members) > remaining:
        return "the archive expands beyond IMAGING_MAX_UPLOAD_BYTES"
    return ""


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, budget: _Budget) -> Upload:
    problem = _member_problem(info)
    if problem:
        return RejectedFile(label, problem)
    try:
        with archive.open(info) as member:
            data = member.read(min(info.file_size, budget.remaining) + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        return RejectedFile(label, f"cannot be extracted ({exc})")
    if len(data) > info.file_size or not budget.take(len(data)):
        return RejectedFile(label, "expands beyond its declared size or the upload limit")
    if data.startswith(ZIP_MAGIC):
        return RejectedFile(label, "an archive inside the archive: not opened")
    return IncomingFile(label, data)


def _member_problem(info: zipfile.ZipInfo) -> str:
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
        return "unsafe path in the archive (absolute, or climbing out with ..): not extracted"
    if info.flag_bits & 0x1:
        return "encrypted: not extracted"
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return "compressed more than any DICOM file could be (a zip bomb?): not extracted"
    return ""


def _is_clutter(filename: str) -> bool:
    """Operating-system clutter found in zipped folders: dropped without a word."""
    path = PurePosixPath(filename.replace("\\", "/"))
    return path.name in IGNORED_NAMES or path.name.startswith("._") or "__MACOSX" in path.parts
