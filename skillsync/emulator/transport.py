"""The emulator behind an httpx transport: ``local:<path>`` needs no server or port."""

from __future__ import annotations

import httpx

from skillsync.emulator.app import EmulatorApp


class EmulatorTransport(httpx.BaseTransport):
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        query = dict(request.url.params.multi_items())
        response = self.app.handle(request.method, request.url.path, query, headers, request.read())
        if response.drop_connection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            response.status, headers=response.headers, content=response.body, request=request
        )

    def close(self) -> None:
        self.app.store.close()
