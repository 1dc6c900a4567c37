import io
import json
import logging

import pytest

from wintehr.log_format import structured_formatter


@pytest.fixture
def json_log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter(json=True))
    logger = logging.getLogger("wintehr.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_each_request_gets_an_id_in_the_header_and_the_log_line(anonymous_client, json_log_lines):
    response = anonymous_client.get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    [line] = [line for line in json_log_lines() if line["event"] == "request"]
    assert line["request_id"] == request_id
    assert line["path"] == "/healthz"
    assert line["status"] == 200


def test_a_sane_incoming_id_is_kept_and_a_hostile_one_replaced(anonymous_client):
    kept = anonymous_client.get("/healthz", HTTP_X_REQUEST_ID="trace-abc-12345")
    assert kept["X-Request-ID"] == "trace-abc-12345"
    replaced = anonymous_client.get("/healthz", HTTP_X_REQUEST_ID="bad\nid<script>")
    assert replaced["X-Request-ID"] != "bad\nid<script>"
    assert len(replaced["X-Request-ID"]) == 32
