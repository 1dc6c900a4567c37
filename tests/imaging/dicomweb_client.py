"""Test helpers for DICOMweb: multipart bodies in and out, and clients with a session or a token."""

from django.test import Client
from rest_framework.authtoken.models import Token

from imaging.dicomweb.multipart import boundary_of, parts_read

BOUNDARY = "test-boundary-7d3f"
STOW_TYPE = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'


def stow_body(*parts: bytes | tuple[str, bytes]) -> bytes:
    chunks = []
    for part in parts:
        content_type, data = part if isinstance(part, tuple) else ("application/dicom", part)
        chunks.append(
            f"--{BOUNDARY}\r\nContent-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
        )
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def response_parts(response) -> list[bytes]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [part.body for part in parts_read(body, boundary_of(response["Content-Type"]))]


def token_client(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.key}")


def sequence(answer: dict, tag: str) -> list[dict]:
    return answer.get(tag, {}).get("Value", [])


def value(item: dict, tag: str):
    values = item.get(tag, {}).get("Value", [None])
    return values[0]
