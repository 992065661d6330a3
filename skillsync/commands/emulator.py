"""``skillsync emulator``: serve the Skills API emulator over HTTP until interrupted."""

from __future__ import annotations

import ipaddress
import signal
import sqlite3
import sys
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


def run(
    *,
    host: str,
    port: int,
    db: Path,
    keys: dict[str, str],
    faults: Faults,
    rpm: int,
    api: str = dialects.DEFAULT,
    legacy_delete: bool = False,
) -> int:
    if legacy_delete and "legacy_delete" not in dialects.dialect(api).emulator_flags:
        raise SkillsyncError(f"--legacy-delete is not a rule of the {api} dialect")
    try:
        store = open_store(db, api)
    except sqlite3.DatabaseError as exc:
        raise SkillsyncError(
            f"--db {db}: not a SQLite database the emulator can use ({exc})",
            hint="give a new file name, or a database the emulator created",
        ) from None
    app = EmulatorApp(
        store, keys or None, faults=faults, rpm=rpm, refuse_delete_with_versions=legacy_delete
    )
    try:
        server = EmulatorServer(app, host, port)
    except OSError as exc:
        raise SkillsyncError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = host == "localhost"
    echo = click.echo
    echo(f"Skills API emulator listening on {server.url}")
    for key, workspace in app.keys.items():
        echo(f"  key {key} -> workspace {workspace}")
    echo(f"  database {db}")
    echo(f"  dialect {api}")
    if legacy_delete:
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
