"""The emulator over real HTTP: a threaded HTTP/1.1 server with keep-alive."""

from __future__ import annotations

import logging
import threading
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from skillsync.emulator.answers import Response
from skillsync.emulator.app import EmulatorApp

log = logging.getLogger("skillsync.emulator")


class _Headers(HTTPMessage):
    """A request's headers. http.server parses them with the email package, which takes a
    multipart Content-Type for a body to split and compiles a regex of its boundary: a new
    one per upload, never in re's cache, half a millisecond of each upload's handling.
    Headers have no body to split, and nothing here asks the email package for their
    content type."""

    def get_content_maintype(self) -> str:
        return "text"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    MessageClass = _Headers
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "skillsync-emulator"
    server: EmulatorServer

    def _serve(self) -> None:
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        app = self.server.app
        if headers.get("transfer-encoding", "").lower() == "chunked":
            error = (411, "invalid_request_error", "send a content-length, not a chunked body")
            self._answer(app.error_response(*error), close=True)
            return
        if length > app.max_body_bytes:
            # Answer without reading (or keeping) the body, then close the connection.
            self._answer(app.too_large(), close=True)
            return
        body = self.rfile.read(length) if length else b""
        response = self.server.app.handle(
            self.command, url.path, dict(parse_qsl(url.query)), headers, body
        )
        if response.drop_connection:
            self.close_connection = True
            return
        self._answer(response)

    def _answer(self, response: Response, *, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        if close:
            self.close_connection = True
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):  # called for every answer: format only when shown
            log.debug("%s %s", self.address_string(), format % args)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: EmulatorApp, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeout, Ctrl-C) is routine, not a server error."""
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)

    @property
    def url(self) -> str:
        raw_host, port = self.server_address[:2]
        host = raw_host.decode() if isinstance(raw_host, bytes) else str(raw_host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start_background(self) -> threading.Thread:
        """Serve in a daemon thread (tests, benchmarks); stop with ``shutdown()``."""
        thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="emulator", daemon=True
        )
        thread.start()
        return thread
