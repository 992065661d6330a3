"""Options of the commands that talk to the API (kept free of heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_RETRIES = 4
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_PARALLELISM = 10


@dataclass(frozen=True)
class ClientOptions:
    base_url: str | None = None
    parallelism: int | None = None
    max_retries: int = DEFAULT_MAX_RETRIES
    read_timeout: float = DEFAULT_READ_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    use_cache: bool = True
    """Use the version cache (--no-cache: read everything from the API)."""


@dataclass(frozen=True)
class OneTarget:
    """What a command that reaches one target is given (its ``Arguments`` adds the rest)."""

    directory: Path | None
    target_name: str | None
    options: ClientOptions
