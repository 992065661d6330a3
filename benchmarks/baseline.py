"""The bare baseline for the plan benchmark: the same HTTP requests, nothing else.

seed: lists every page of /v1/skills, then GETs each skill. anthropic: lists
every page of custom skills (limit 1000), then, for each skill, reads its latest
version and downloads its content. openai: lists every page (limit 100, after),
then downloads each skill's latest version. Same parallelism as skillsync, httpx
and a thread pool, answers thrown away.
Usage: python benchmarks/baseline.py URL KEY PARALLELISM [seed|anthropic|openai]
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx


def seed(http: httpx.Client, parallelism: int) -> None:
    ids: list[str] = []
    params: dict[str, str | int] = {"limit": 100}
    while True:
        page = http.get("/v1/skills", params=params).json()
        ids += [item["id"] for item in page["data"]]
        if not page.get("has_more"):
            break
        params = {"limit": 100, "after_id": page["last_id"]}
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(lambda skill_id: http.get(f"/v1/skills/{skill_id}").json(), ids))


def anthropic(http: httpx.Client, parallelism: int) -> None:
    skills: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": 1000, "source": "custom"}
    while True:
        page = http.get("/v1/skills", params=params).json()
        skills += page["data"]
        if not page.get("next_page"):
            break
        params = {**params, "page": page["next_page"]}

    def read(skill: dict[str, Any]) -> None:
        # The floor of a cold plan: the download names the skill (its SKILL.md).
        version = f"/v1/skills/{skill['id']}/versions/{skill['latest_version_id']}"
        http.get(f"{version}/content").read()

    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(read, skills))


def openai(http: httpx.Client, parallelism: int) -> None:
    skills: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": 100, "order": "asc"}
    while True:
        page = http.get("/v1/skills", params=params).json()
        skills += page["data"]
        if not page.get("has_more"):
            break
        params = {**params, "after": page["last_id"]}

    def read(skill: dict[str, Any]) -> None:
        http.get(f"/v1/skills/{skill['id']}/versions/{skill['latest_version']}/content").read()

    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(read, skills))


def main(url: str, key: str, parallelism: int, api: str) -> None:
    headers = {
        "seed": {"x-api-key": key, "anthropic-version": "2023-06-01"},
        "anthropic": {"authorization": f"Bearer {key}", "anthropic-version": "2026-10-21"},
        "openai": {"authorization": f"Bearer {key}"},
    }[api]
    limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
    with httpx.Client(base_url=url, headers=headers, limits=limits, timeout=60) as http:
        {"seed": seed, "anthropic": anthropic, "openai": openai}[api](http, parallelism)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "seed")
