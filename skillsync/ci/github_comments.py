"""Keep one pull-request comment up to date through the GitHub REST API.

The comment is found by a hidden marker (an HTML comment naming the target),
paginating the issue's comments, then updated in place or created.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from skillsync import secrets
from skillsync.errors import SkillsyncError
from skillsync.remote.network import is_loopback

MAX_COMMENT = 65_536
"""GitHub refuses comment bodies longer than this many characters."""

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def marker(target: str) -> str:
    return f"<!-- skillsync-plan:{target} -->"


class GitHubComments:
    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        host = urlsplit(api_url).hostname or ""
        if api_url.startswith("http://") and not is_loopback(host):
            raise SkillsyncError(f"refusing to send the GitHub token over plain http:// to {host}")
        secrets.register(token)
        self.repository = repository
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            transport=transport,
            timeout=30,
            headers={
                "authorization": f"Bearer {token}",
                "accept": "application/vnd.github+json",
                "x-github-api-version": "2022-11-28",
                "user-agent": "skillsync-action",
            },
        )

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_error:
            raise SkillsyncError(
                f"GitHub API {response.request.method} {response.request.url.path} answered "
                f"{response.status_code}: {secrets.redact(response.text[:200])}",
                hint="the workflow needs 'permissions: pull-requests: write' to comment",
            )
        return response

    def find(self, number: int, tag: str) -> int | None:
        url: str | None = f"/repos/{self.repository}/issues/{number}/comments?per_page=100"
        while url:
            response = self._check(self.http.get(url))
            for comment in response.json():
                if tag in (comment.get("body") or ""):
                    return int(comment["id"])
            found = _NEXT.search(response.headers.get("link", ""))
            url = found.group(1) if found else None
        return None

    def upsert(self, number: int, target: str, body: str) -> tuple[str, int]:
        """Create or update the target's comment; returns ("created"|"updated", id)."""
        tag = marker(target)
        text = f"{tag}\n{body}"
        if len(text) > MAX_COMMENT:
            text = text[: MAX_COMMENT - 200] + "\n\n_(cut: the comment size limit was reached)_\n"
        existing = self.find(number, tag)
        if existing is not None:
            self._check(
                self.http.patch(
                    f"/repos/{self.repository}/issues/comments/{existing}", json={"body": text}
                )
            )
            return "updated", existing
        response = self._check(
            self.http.post(
                f"/repos/{self.repository}/issues/{number}/comments", json={"body": text}
            )
        )
        return "created", int(response.json()["id"])
