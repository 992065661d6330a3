"""Where a connection to a Skills API goes: the base URL's checks, and the proxy.

A key goes over https://, or over plain http:// only to a loopback address (a local
emulator). The proxy is the one the environment names for the API's host, read as
httpx's own client and curl read it (``HTTPS_PROXY``, else ``ALL_PROXY``; a host that
``NO_PROXY`` matches goes direct), never for a loopback address, which no proxy can
reach on this machine's behalf.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

import httpx

from skillsync import secrets
from skillsync.errors import TargetError


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> SplitResult:
    """The base URL, split; TargetError for one that is not http(s), or that would send
    the key in the clear beyond this machine."""
    url = urlsplit(base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise TargetError(f"base URL {base_url!r} is not an http(s) URL")
    if url.scheme == "http" and not is_loopback(url.hostname):
        raise TargetError(
            f"refusing to send the API key over plain http:// to {url.hostname}",
            hint="use https://, or a loopback address for a local emulator",
        )
    return url


def environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy URL the environment names for ``host`` (module docstring), or None."""
    if not host or is_loopback(host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def shown_proxy(proxy: str) -> str:
    """A proxy's URL for messages: its scheme, host and port, never a user or password
    (which is registered for redaction: an error may quote it)."""
    parts = urlsplit(proxy)
    if parts.password:
        secrets.register(parts.password)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""  # not a number: httpx refuses the proxy, naming it
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


class Route(NamedTuple):
    transport: httpx.BaseTransport
    via: str
    """`` through the proxy URL`` for messages, or empty when the route is direct."""


def route(url: SplitResult, parallelism: int) -> Route:
    """httpx's transport to the API at ``url``, through the environment's proxy if it
    names one; TargetError for a proxy setting httpx cannot use."""
    proxy = environment_proxy(url.scheme, url.hostname or "")
    try:
        via = "" if proxy is None else f" through the proxy {shown_proxy(proxy)}"
        limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
        return Route(httpx.HTTPTransport(limits=limits, proxy=proxy), via)
    except (ValueError, ImportError, httpx.InvalidURL) as exc:  # socks:// needs socksio
        raise TargetError(
            f"cannot use the proxy that the environment names for {url.hostname}: "
            + secrets.redact(str(exc)),
            hint="fix HTTPS_PROXY / ALL_PROXY (a URL such as http://proxy.example.com:3128)"
            ", or name the host in NO_PROXY",
        ) from None
