"""The remote Skills API: open the dialect of a target (SPEC sections 1, 2 and 9).

base.Remote          the interface the planner and applier use
http.ApiHttp         one connection: auth, retries, rate limits, redaction
seed.SeedRemote      the JSON API of skills-api-reference.md
anthropic.AnthropicRemote   the real Skills API: folders and versions
"""

from __future__ import annotations

import os
from typing import Any

from skillsync.config import Config, TargetConfig, local_db_path, resolve_base_url
from skillsync.errors import TargetError
from skillsync.options import ClientOptions
from skillsync.remote.base import Remote

LOCAL_KEY = "emulator-key"
"""The embedded emulator's default key: a local: target needs no key of the user's."""


def open_remote(config: Config, target: TargetConfig, options: ClientOptions) -> Remote:
    base_url = resolve_base_url(target, options.base_url)
    settings: dict[str, Any] = {
        "max_retries": options.max_retries,
        "read_timeout": options.read_timeout,
        "connect_timeout": options.connect_timeout,
        "parallelism": options.parallelism or target.parallelism,
    }
    db = local_db_path(config, base_url)
    if db is not None:
        from skillsync.emulator.app import EmulatorApp, open_store
        from skillsync.emulator.transport import EmulatorTransport

        app = EmulatorApp(open_store(db, target.api))
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
        settings["key_source"] = f"${target.api_key_env}"
    if target.api == "seed":
        from skillsync.remote.seed import SeedRemote

        return SeedRemote(url, key, **settings)
    from skillsync.remote.anthropic import AnthropicRemote

    workspace_id = None if db is not None else target.workspace_id
    cache = None
    if options.use_cache:
        from skillsync.cache.versions import VersionCache, scope_of

        endpoint = f"local:{db.resolve()}" if db is not None else base_url
        cache = VersionCache.open(scope_of(endpoint, workspace_id, key))
    return AnthropicRemote(
        url,
        key,
        anthropic_version=target.anthropic_version,
        workspace_id=workspace_id,
        retain_versions=target.retain_versions,
        cache=cache,
        **settings,
    )
