"""The one way a dialect reads a JSON answer: every field checked as it is read.

A Skills API is input like any other. An answer that is HTML, a page whose ``data`` is
an object, an item without an ``id`` or with an id holding a newline becomes a
``MalformedAnswer`` naming the request and its request-id: a failed request (exit 1,
or one failed change in an apply), never a crash deep in a dialect's code.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from skillsync.errors import MalformedAnswer
from skillsync.model import printable

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,255}")
"""The shape of every dialect's skill and version ids (and of version numbers)."""


class Reply(dict[str, Any]):
    """A JSON object an API answered. A key that is missing raises ``MalformedAnswer``;
    ``items``, ``text`` and ``ident`` check what they return."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        super().__init__(data)
        self.where = where

    @classmethod
    def of(cls, response: httpx.Response, where: str) -> Reply:
        rid = response.headers.get("request-id") or response.headers.get("x-request-id")
        where = f"{where} (request-id {rid})" if rid else where
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "no content-type").split(";")[0]
            start = printable(response.text[:40].strip())
            raise MalformedAnswer(
                f"{where}: the API answered something that is not JSON ({kind}: '{start}')",
                hint="check base_url: a proxy or a login page may be answering",
            ) from None
        if not isinstance(data, dict):
            raise MalformedAnswer(
                f"{where}: the API answered a JSON {type(data).__name__} where an object belongs"
            )
        return cls(data, where)

    def wrong(self, key: str, what: str) -> MalformedAnswer:
        return MalformedAnswer(f"{self.where}: the answer's '{key}' {what}")

    def __missing__(self, key: str) -> Any:
        raise self.wrong(key, "is missing")

    def objects(self, key: str = "data") -> list[Reply]:
        """The list of objects under ``key`` (absent or null: none)."""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.wrong(key, "is not a list of objects")
        return [Reply(v, self.where) for v in value]

    def text(self, key: str) -> str:
        """A field that must be there and be text (a number is taken as its digits)."""
        value = self[key]
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.wrong(key, f"is a {type(value).__name__}, not text")
        return str(value)

    def optional(self, key: str) -> str | None:
        """A field that may be absent or null, else text."""
        return None if self.get(key) is None else self.text(key)

    def ident(self, key: str = "id") -> str:
        """An id, a version id or a version number: text of a known shape, since it goes
        into URLs, caches and env lines."""
        value = self.text(key)
        if not _ID.fullmatch(value):
            raise self.wrong(key, f"'{printable(value)}' is not the shape of an id")
        return value
