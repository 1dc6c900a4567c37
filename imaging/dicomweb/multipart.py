"""multipart/related (RFC 2387) as DICOMweb uses it: parsing STOW-RS request bodies and writing
WADO-RS responses part by part."""

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.http import parse_header_parameters


class MultipartError(Exception):
    """A malformed multipart body (400)."""


class NotMultipart(MultipartError):
    """The body is not multipart/related at all (415)."""


@dataclass(frozen=True)
class Part:
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def content_type(self) -> str:
        return parse_header_parameters(self.headers.get("content-type", ""))[0].lower()


def boundary_of(content_type: str) -> bytes:
    media_type, params = parse_header_parameters(content_type)
    if media_type.lower() != "multipart/related":
        raise NotMultipart(f"expected multipart/related, got {media_type or 'nothing'}")
    boundary = params.get("boundary", "").strip('"')
    if not boundary or len(boundary) > 200:
        raise MultipartError("the multipart/related content type names no boundary")
    return boundary.encode("latin-1")


def parts_read(body, boundary: bytes) -> Iterator[Part]:
    """The parts of a body (bytes, or an mmap of a spooled request)."""
    delimiter = b"--" + boundary
    position = body.find(delimiter)
    if position < 0:
        raise MultipartError("the body holds no part delimited by the boundary")
    while True:
        position += len(delimiter)
        if body[position : position + 2] == b"--":
            return
        line_end = body.find(b"\r\n", position)  # past transport padding
        if line_end < 0:
            raise MultipartError("a part ends before its headers")
        headers, content_start = _headers(body, line_end + 2)
        content_end = body.find(b"\r\n" + delimiter, content_start)
        if content_end < 0:
            raise MultipartError("the last part is not closed by the boundary")
        yield Part(headers, bytes(body[content_start:content_end]))
        position = content_end + 2


def _headers(body, start: int) -> tuple[dict[str, str], int]:
    if body[start : start + 2] == b"\r\n":
        return {}, start + 2
    end = body.find(b"\r\n\r\n", start)
    if end < 0:
        raise MultipartError("a part's headers never end")
    headers = {}
    for line in bytes(body[start:end]).decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, end + 4


def new_boundary() -> str:
    return f"wintehr-{secrets.token_hex(16)}"


def parts_write(
    parts: Iterable[tuple[str, int, Iterable[bytes]]], boundary: str
) -> Iterator[bytes]:
    """Each part given as (content type, length, chunks of its body)."""
    for content_type, length, chunks in parts:
        yield (
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
        ).encode("latin-1")
        yield from chunks
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode("latin-1")
