"""Where skills are deployed: open the dialect of a target (README: Where skills go).

base.Remote          the interface the planner and applier use
http.ApiHttp         one connection: auth, retries, rate limits, redaction
folders.FolderRemote what the folder dialects share: uploads, downloads, the version cache
anthropic.AnthropicRemote   Anthropic's Skills API: folders and versions
openai.OpenAIRemote  OpenAI's Skills API: folders, numbered versions, a default pointer
seed.SeedRemote      the JSON API skillsync started from
directory.DirectoryRemote  a folder coding agents read skills from

Which class speaks a target's ``api:`` is ``dialects.Dialect.remote``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx

from skillsync import dialects
from skillsync.config import (
    Config,
    TargetConfig,
    folder_path,
    local_db_path,
    resolve_base_url,
)
from skillsync.errors import TargetError
from skillsync.options import ClientOptions
from skillsync.remote.base import Remote

LOCAL_KEY = "emulator-key"
"""The embedded emulator's default key: a local: target needs no key of the user's."""


_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")
"""What a key may hold: printable ASCII without spaces (HTTP headers carry nothing else)."""


def _check_key(key: str, target: TargetConfig) -> None:
    """Refuse a key an HTTP header cannot carry, without ever echoing it."""
    if _KEY_CHARACTERS.fullmatch(key) is None:
        stripped = key.strip()
        why = (
            "has leading or trailing white space (a newline from a file or a copy?)"
            if stripped != key and _KEY_CHARACTERS.fullmatch(stripped)
            else "holds characters an API key never has (spaces, control or non-ASCII characters)"
        )
        raise TargetError(
            f"the API key in ${target.api_key_env} {why}; it was not sent",
            hint=f"set {target.api_key_env} to the key alone, e.g. export "
            f'{target.api_key_env}="$(tr -d " \\n" < keyfile)"',
        )


def _check_url(url: str, target: TargetConfig) -> None:
    """A base URL skillsync can send to: parsable, http(s), with a host, no credentials
    (they would override the key and be logged)."""
    try:
        parts = httpx.URL(url)
        host = parts.host
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise TargetError(
            f"target '{target.name}': base_url {url!r} is not a URL ({exc})"
        ) from None
    if parts.scheme not in ("http", "https") or not host:
        raise TargetError(
            f"target '{target.name}': base_url {url!r} must be an http(s) URL with a host, "
            "or local:<path>"
        )
    if parts.userinfo:
        raise TargetError(
            f"target '{target.name}': base_url holds credentials; the key comes only from "
            f"${target.api_key_env}",
            hint="remove user:password@ from the URL",
        )


def _open_local(db: Path, target: TargetConfig) -> Any:
    """The embedded emulator's store at ``db``: a SQLite file, created if missing."""
    import sqlite3

    from skillsync.emulator.app import open_store

    if db.exists() and not db.is_file():
        raise TargetError(f"target '{target.name}': local:{db} is not a file (a SQLite database)")
    try:
        return open_store(db, target.api)
    except sqlite3.DatabaseError as exc:
        raise TargetError(
            f"target '{target.name}': local:{db} is not a SQLite database skillsync can use "
            f"({exc})",
            hint="point local: at a new file name, or at the file the emulator created",
        ) from None


def open_remote(config: Config, target: TargetConfig, options: ClientOptions) -> Remote:
    base_url = resolve_base_url(target, options.base_url)
    settings: dict[str, Any] = {
        "max_retries": options.max_retries,
        "read_timeout": options.read_timeout,
        "connect_timeout": options.connect_timeout,
        "parallelism": options.parallelism or target.parallelism,
    }
    dialect = dialects.dialect(target.api)
    if not dialect.http:  # a place on this machine: no key, no URL
        folder = str(folder_path(config, target))
        return dialect.remote_class().open(  # type: ignore[no-any-return]
            target, folder, "", local=True, endpoint=folder, options=options, **settings
        )
    db = local_db_path(config, base_url)
    if db is not None:
        from skillsync.emulator.app import EmulatorApp
        from skillsync.emulator.transport import EmulatorTransport

        app = EmulatorApp(_open_local(db, target))
        url, key = "http://local-emulator", LOCAL_KEY
        settings.update(
            key_source="the embedded emulator",
            display_url=base_url,
            transport=EmulatorTransport(app),
        )
    else:
        url, key = base_url, os.environ.get(target.api_key_env, "")
        if not key:
            raise TargetError(
                f"the environment variable {target.api_key_env} is not set "
                f"(target '{target.name}' reads its API key from it)",
                hint=f"export {target.api_key_env}=... (never put the key in a file)",
            )
        _check_key(key, target)
        _check_url(base_url, target)
        settings["key_source"] = f"${target.api_key_env}"
    endpoint = f"local:{db.resolve()}" if db is not None else base_url
    settings["dialect"] = dialect
    remote: Remote = dialect.remote_class().open(
        target, url, key, local=db is not None, endpoint=endpoint, options=options, **settings
    )
    return remote
