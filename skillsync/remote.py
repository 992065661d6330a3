"""Open a client for a target: endpoint and key precedence (SPEC section 2), local:."""

from __future__ import annotations

import os

from skillsync.client import SkillsClient
from skillsync.config import Config, TargetConfig, local_db_path, resolve_base_url
from skillsync.errors import TargetError
from skillsync.options import ClientOptions

LOCAL_KEY = "emulator-key"
"""The embedded emulator's default key: a local: target needs no key of the user's."""


def open_client(config: Config, target: TargetConfig, options: ClientOptions) -> SkillsClient:
    base_url = resolve_base_url(target, options.base_url)
    parallelism = options.parallelism or target.parallelism
    db = local_db_path(config, base_url)
    if db is not None:
        from skillsync.emulator.app import EmulatorApp
        from skillsync.emulator.store import SkillStore
        from skillsync.emulator.transport import EmulatorTransport

        transport = EmulatorTransport(EmulatorApp(SkillStore(db)))
        return SkillsClient(
            "http://local-emulator",
            LOCAL_KEY,
            key_source="the embedded emulator",
            display_url=base_url,
            transport=transport,
            max_retries=options.max_retries,
            read_timeout=options.read_timeout,
            connect_timeout=options.connect_timeout,
            parallelism=parallelism,
        )
    key = os.environ.get(target.api_key_env)
    if not key:
        raise TargetError(
            f"the environment variable {target.api_key_env} is not set "
            f"(target '{target.name}' reads its API key from it)",
            hint=f"export {target.api_key_env}=... (never put the key in a file)",
        )
    return SkillsClient(
        base_url,
        key,
        key_source=f"${target.api_key_env}",
        max_retries=options.max_retries,
        read_timeout=options.read_timeout,
        connect_timeout=options.connect_timeout,
        parallelism=parallelism,
    )
