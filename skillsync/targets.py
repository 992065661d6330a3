"""Planning the targets of one run: a remote each, their plans made in parallel, and
the skills each one holds for ``output``."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

from skillsync.config import Config, TargetConfig
from skillsync.deployed import Deployed, deployed_skills
from skillsync.errors import ApiError, UnsafeRemoteContent
from skillsync.options import ClientOptions
from skillsync.planning import Planned, plan_target
from skillsync.remote import open_remote
from skillsync.remote.base import Remote


@contextmanager
def open_remotes(
    config: Config, targets: list[TargetConfig], options: ClientOptions
) -> Iterator[list[Remote]]:
    """A remote per target, all open (and every one closed afterwards)."""
    with ExitStack() as stack:
        yield [stack.enter_context(open_remote(config, t, options)) for t in targets]


def plan_all(
    config: Config, targets: list[TargetConfig], remotes: list[Remote], only: tuple[str, ...]
) -> list[Planned]:
    """One plan per target, made in parallel when there are several; in the targets' order."""
    if len(targets) == 1:
        return [plan_target(config, targets[0], remotes[0], only=only)]
    pool = ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="target")
    futures = [
        pool.submit(plan_target, config, target, remote, only=only, alone=False)
        for target, remote in zip(targets, remotes, strict=True)
    ]
    try:
        planned = []
        for target, future in zip(targets, futures, strict=True):
            try:
                planned.append(future.result())
            except (ApiError, UnsafeRemoteContent) as exc:
                # several remotes: say whose answer (or silence) this is
                exc.message = f"target '{target.name}': {exc.message}"
                raise
        return planned
    except BaseException:
        # a Ctrl-C or a failed target: the others are not waited for; closing their
        # remotes (the caller's) ends the requests they still have in flight
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False)


def deployed(
    config: Config, target: TargetConfig, remote: Remote, *, quiet: bool = False
) -> list[Deployed]:
    """The repository's skills as the target holds them (a plan's reads: warm, the list).
    ``quiet``: the repository's warnings were shown already (apply --output)."""
    plan, skills, current = plan_target(config, target, remote, alone=not quiet, quiet=quiet)
    return deployed_skills(plan, skills, current, remote.installed)
