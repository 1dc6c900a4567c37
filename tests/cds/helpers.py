"""Helpers shared by the CDS tests."""

import json
import uuid
from pathlib import Path
from typing import Any

from django.test import Client

from cds.data_sources import RepositorySource
from cds.execution import execute
from cds.request import parse_request
from cds.services import BUILT_IN
from fhirapi.services import FhirRepository

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cds"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def hook_request(hook: str, context: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context, **extra}


def run_service(service_id: str, hook: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """A built-in service run in-process, fetching its data from the store (no prefetch)."""
    service = next(s for s in BUILT_IN if s.id == service_id)
    request = parse_request(hook_request(hook, context), service_hooks=service.hooks)
    response = execute(service, request, source=RepositorySource(FhirRepository()))
    return response["cards"]


def post_json(client: Client, path: str, body: Any, **headers: str):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", headers=headers)


def summaries(cards: list[dict[str, Any]]) -> list[str]:
    return [card["summary"] for card in cards]


def builder_rows(rows: list[dict[str, str]]) -> dict[str, str]:
    """The rule page's condition builder fields for rows given as {field: value}."""
    data = {"conditions-TOTAL_FORMS": str(len(rows)), "conditions-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data |= {f"conditions-{index}-{name}": value for name, value in row.items()}
    return data
