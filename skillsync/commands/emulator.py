"""``skillsync emulator``: serve the Skills API emulator over HTTP until interrupted."""

from __future__ import annotations

import ipaddress
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import click

from skillsync import dialects
from skillsync.emulator.app import EmulatorApp, Faults, open_store
from skillsync.emulator.server import EmulatorServer
from skillsync.errors import EXIT_INTERRUPTED, SkillsyncError


def parse_keys(pairs: tuple[str, ...]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for pair in pairs:
        key, sep, workspace = pair.partition("=")
        if not sep or not key or not workspace:
            raise SkillsyncError(
                f"--key {pair!r} is not KEY=WORKSPACE", hint="for example --key team-a=alpha"
            )
        keys[key] = workspace
    return keys


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True)
class Arguments:
    """What the command line gave ``emulator``."""

    api: str
    host: str
    port: int
    db: Path
    keys: tuple[str, ...]
    """KEY=WORKSPACE pairs."""
    fault_rate: float
    latency_ms: int
    rpm: int
    seed: int | None
    legacy_delete: bool


def run(args: Arguments) -> int:
    keys = parse_keys(args.keys)
    faults = Faults(args.fault_rate, args.latency_ms, args.seed)
    if args.legacy_delete and "legacy_delete" not in dialects.dialect(args.api).emulator_flags:
        raise SkillsyncError(f"--legacy-delete is not a rule of the {args.api} dialect")
    try:
        store = open_store(args.db, args.api)
    except sqlite3.DatabaseError as exc:
        raise SkillsyncError(
            f"--db {args.db}: not a SQLite database the emulator can use ({exc})",
            hint="give a new file name, or a database the emulator created",
        ) from None
    app = EmulatorApp(
        store,
        keys or None,
        faults=faults,
        rpm=args.rpm,
        refuse_delete_with_versions=args.legacy_delete,
    )
    try:
        server = EmulatorServer(app, args.host, args.port)
    except OSError as exc:
        raise SkillsyncError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    try:
        is_loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        is_loopback = args.host == "localhost"
    echo = click.echo
    echo(f"Skills API emulator listening on {server.url}")
    for key, workspace in app.keys.items():
        echo(f"  key {key} -> workspace {workspace}")
    echo(f"  database {args.db}")
    echo(f"  dialect {args.api}")
    if args.legacy_delete:
        echo("  deleting a skill that still has versions is refused (the 2025 beta's rule)")
    if faults.rate or faults.latency_ms:
        echo(f"  faults: rate {faults.rate}, latency {faults.latency_ms} ms, seed {faults.seed}")
    if not is_loopback:
        echo("  warning: listening beyond loopback; anyone who can reach it can use it", err=True)
    echo("Press Ctrl-C to stop.")
    sys.stdout.flush()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        store.close()
    return EXIT_INTERRUPTED
