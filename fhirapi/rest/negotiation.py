"""FHIR JSON in and out: media types, `_format`, `_pretty`, body size and nesting limits."""

from typing import Any

import orjson
from django.conf import settings
from rest_framework.exceptions import NotAcceptable, UnsupportedMediaType
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from fhirapi.errors import BadRequest, PayloadTooLarge

FHIR_JSON = "application/fhir+json"
JSON_TYPES = {FHIR_JSON, "application/json", "json", "application/json+fhir"}
XML_TYPES = {"application/fhir+xml", "application/xml", "xml", "text/xml", "application/xml+fhir"}
JSON_PATCH = "application/json-patch+json"


def json_loads_limited(body: bytes) -> Any:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise BadRequest("the JSON is nested too deeply to be a FHIR resource") from None
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    _require_depth_at_most(value, settings.FHIR_MAX_JSON_DEPTH)
    return value


def _require_depth_at_most(value: Any, limit: int) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise BadRequest(f"the JSON is nested more than {limit} levels deep")
        if isinstance(node, dict):
            stack.extend(
                (child, depth + 1) for child in node.values() if isinstance(child, dict | list)
            )
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))


def read_limited_body(stream, content_length: str | None) -> bytes:
    limit = settings.FHIR_MAX_BODY_BYTES
    if content_length and content_length.isdigit() and int(content_length) > limit:
        raise PayloadTooLarge(f"the body is larger than the {limit:,} bytes this server accepts")
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is larger than the {limit:,} bytes this server accepts")
    return body


class FhirJsonParser(BaseParser):
    media_type = FHIR_JSON

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        body = read_limited_body(stream, request.META.get("CONTENT_LENGTH"))
        if not body.strip():
            raise BadRequest("the request has no body")
        return json_loads_limited(body)


class PlainJsonParser(FhirJsonParser):
    media_type = "application/json"


class JsonPatchParser(FhirJsonParser):
    media_type = JSON_PATCH


class FhirJsonRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, bytes):
            return data
        request = (renderer_context or {}).get("request")
        pretty = request is not None and request.query_params.get("_pretty") == "true"
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 if pretty else 0)


class FhirContentNegotiation(BaseContentNegotiation):
    """Only FHIR JSON is served; `_format` overrides Accept, as the FHIR spec says."""

    def select_parser(self, request, parsers):
        content_type = request.content_type.split(";")[0].strip().lower()
        for parser in parsers:
            if parser.media_type == content_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        wanted = request.query_params.get("_format")
        if wanted is not None:
            wanted = wanted.split(";")[0].strip().lower()
            if wanted in JSON_TYPES:
                return renderer, FHIR_JSON
            raise NotAcceptable(f"_format={wanted} is not served here; use _format=json")
        accepted = [
            part.split(";")[0].strip().lower()
            for part in request.headers.get("Accept", "*/*").split(",")
        ]
        if any(kind in JSON_TYPES or kind in ("*/*", "application/*") for kind in accepted):
            return renderer, FHIR_JSON
        raise NotAcceptable("this server answers in application/fhir+json only")


def require_json_content_type(request, allowed: set[str]) -> None:
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type not in allowed:
        raise UnsupportedMediaType(content_type or "(none)")
