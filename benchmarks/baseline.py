"""The bare baseline for the plan benchmark: the same HTTP requests, nothing else.

Lists every page of /v1/skills, then GETs each skill with the same parallelism
skillsync uses, with httpx and a thread pool, and throws the answers away.
Usage: python benchmarks/baseline.py URL KEY PARALLELISM
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import httpx


def main(url: str, key: str, parallelism: int) -> None:
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
    with httpx.Client(base_url=url, headers=headers, limits=limits, timeout=60) as http:
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
