"""Where a connection goes: the environment's proxy, and what a user sees when it is
wrong. The stand-in proxies are sockets on loopback: nothing leaves this machine."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from skillsync.errors import TargetError, TransportError
from skillsync.remote.seed import SeedRemote


def make_client(url: str, **kwargs: Any) -> SeedRemote:
    return SeedRemote(url, "emulator-key", sleep=lambda seconds: None, **kwargs)


def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for variant in (name, name.lower()):
            monkeypatch.delenv(variant, raising=False)


@pytest.mark.parametrize(
    ("env", "scheme", "host", "expected"),
    [
        ({"HTTPS_PROXY": "http://p.corp:3128"}, "https", "api.anthropic.com", "http://p.corp:3128"),
        ({"HTTPS_PROXY": "p.corp:3128"}, "https", "api.anthropic.com", "http://p.corp:3128"),
        ({"ALL_PROXY": "http://all.corp:8080"}, "https", "api.openai.com", "http://all.corp:8080"),
        ({"HTTP_PROXY": "http://p.corp:3128"}, "https", "api.anthropic.com", None),
        (
            {"HTTPS_PROXY": "http://p.corp:3128", "NO_PROXY": "internal.example,.corp"},
            "https",
            "skills.internal.example",
            None,
        ),
        ({"HTTPS_PROXY": "http://p.corp:3128", "NO_PROXY": "*"}, "https", "api.x.com", None),
        ({"HTTP_PROXY": "http://p.corp:3128"}, "http", "127.0.0.1", None),
        ({"HTTP_PROXY": "http://p.corp:3128"}, "http", "localhost", None),
    ],
)
def test_the_proxy_is_the_one_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    scheme: str,
    host: str,
    expected: str | None,
) -> None:
    """What httpx's Client would pick from the same environment: the scheme's proxy, then
    ALL_PROXY; NO_PROXY by host and domain; never one for the loopback emulator."""
    from skillsync.remote.network import environment_proxy

    _no_proxy_environment(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert environment_proxy(scheme, host) == expected


def test_requests_go_through_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in proxy on loopback gets the tunnel request for the API's host (and
    refuses it), so nothing leaves this machine."""
    _no_proxy_environment(monkeypatch)
    got: list[bytes] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.getsockname()[1]}")

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                got.append(conn.recv(4096).split(b"\r\n", 1)[0])
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        client = make_client("https://api.example.com", max_retries=0, connect_timeout=2)
        try:
            with pytest.raises(TransportError):
                client.http.request("GET", "/v1/skills")
        finally:
            client.close()
        thread.join(5)
    assert got == [b"CONNECT api.example.com:443 HTTP/1.1"]


@pytest.mark.parametrize(
    ("proxy", "reason"),
    [
        ("http://proxy.corp:abc", "Invalid port: 'abc'"),
        ("ftp://proxy.corp:21", "Unknown scheme for proxy URL"),
        ("http://u:pw@[::1", "Invalid IPv6 URL"),
    ],
)
def test_a_proxy_setting_that_cannot_be_used_is_a_target_error(
    monkeypatch: pytest.MonkeyPatch, proxy: str, reason: str
) -> None:
    """Not an internal error (exit 3): the message says which setting and what is wrong."""
    _no_proxy_environment(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    with pytest.raises(TargetError) as caught:
        SeedRemote("https://api.example.com", "k")
    assert str(caught.value).startswith(
        "cannot use the proxy that the environment names for api.example.com: " + reason
    )
    assert "NO_PROXY" in (caught.value.hint or "")


def test_a_proxy_that_refuses_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_proxy_environment(monkeypatch)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        port = closed.getsockname()[1]
        monkeypatch.setenv("HTTPS_PROXY", f"http://bob:pr0xy-pw@127.0.0.1:{port}")
        client = make_client("https://api.example.com", max_retries=0)
        try:
            with pytest.raises(TransportError) as caught:
                client.http.request("GET", "/v1/skills")
        finally:
            client.close()
    message = str(caught.value)
    assert message.startswith(
        f"cannot connect to api.example.com through the proxy http://127.0.0.1:{port}: "
    )
    assert "pr0xy-pw" not in message and "bob" not in message
    assert caught.value.hint == "check HTTPS_PROXY / ALL_PROXY, or name the host in NO_PROXY"
