"""channels' WebsocketCommunicator without `channels.testing`'s package import of daphne (which we
do not install: uvicorn serves our websockets). Same methods, on asgiref's communicator."""

import json
from unittest import mock
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator


def _no_op() -> None:
    pass


class WebsocketCommunicator(ApplicationCommunicator):
    def __init__(self, application, path: str, headers=None) -> None:
        parsed = urlparse(path)
        self.scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(application, self.scope)

    async def send_input(self, message):
        with mock.patch("channels.db.close_old_connections", _no_op):  # keep the test's connection
            return await super().send_input(message)

    async def receive_output(self, timeout=1):
        with mock.patch("channels.db.close_old_connections", _no_op):
            return await super().receive_output(timeout)

    async def connect(self, timeout: float = 1) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def send_to(self, text_data: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data) -> None:
        await self.send_to(json.dumps(data))

    async def receive_from(self, timeout: float = 1) -> str:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return response["text"]

    async def receive_json_from(self, timeout: float = 1):
        return json.loads(await self.receive_from(timeout))

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
