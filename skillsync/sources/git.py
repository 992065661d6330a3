"""The system ``git``, run as the user has it configured (SPEC 14).

Sources are fetched by the ``git`` on the PATH, never by a library that re-implements
it: SSH keys, credential helpers, proxies, ``insteadOf`` rules and private hosts
then work exactly as they do for the user's own clones. Only what git prints on
failure is shown, with any credentials in URLs redacted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from skillsync import secrets
from skillsync.errors import SkillsyncError

MINIMUM = (2, 30)
"""The oldest git whose fetch of a single commit (protocol v2) sources rely on."""
HEX40 = re.compile(r"[0-9a-f]{40}")
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
"""``user:password@`` (or a token) in a URL."""


class SourceError(SkillsyncError):
    """A source could not be resolved, fetched or verified."""


def shown_url(url: str) -> str:
    """A URL as it may be printed: without the credentials it may carry."""
    return _CREDENTIALS.sub("***@", url)


def _clean(text: str) -> str:
    return secrets.redact(_CREDENTIALS.sub("***@", text)).strip()


UNREACHABLE = (
    "check the source's git: in skillsync.yaml (a path is relative to that file), and that "
    "git reaches it with your credentials: git ls-remote URL"
)


def _environment() -> dict[str, str]:
    """The user's environment, without prompts: a CI job must fail, not hang waiting for
    a password."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


def reachable(url: str, root: Path) -> str:
    """The URL as git is given it: a relative local path (``../vendor.git``) is relative
    to skillsync.yaml's folder, where it was written, not to wherever git runs; ``~`` is
    expanded. What git reads as a URL (``scheme://``, ``host:path``) stays as it is."""
    colon, slash = url.find(":"), url.find("/")
    if "://" in url or (colon > 0 and (slash < 0 or colon < slash)):
        return url
    return str(root / os.path.expanduser(url))


def git(*args: str, cwd: Path | None = None, what: str, hint: str | None = None) -> str:
    """Run ``git args``; its output, or a SourceError with git's own message (and
    ``hint``)."""
    executable = shutil.which("git")
    if executable is None:
        raise SourceError(
            "git is not installed, and skillsync.yaml declares sources",
            hint="install git 2.30 or newer (sources are fetched with it)",
        )
    try:
        done = subprocess.run(
            [executable, *args],
            cwd=cwd,
            env=_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise SourceError(f"{what}: git could not run ({exc.strerror or exc})") from None
    if done.returncode != 0:
        message = _clean(done.stderr.decode("utf-8", "replace")) or f"exit {done.returncode}"
        raise SourceError(f"{what}: git failed: {message}", hint=hint)
    return done.stdout.decode("utf-8", "replace")


def check_version() -> None:
    """Refuse a git older than MINIMUM, naming the version found."""
    out = git("--version", what="git --version")
    found = re.search(r"(\d+)\.(\d+)", out)
    if found is None or (int(found[1]), int(found[2])) < MINIMUM:
        raise SourceError(
            f"sources need git {MINIMUM[0]}.{MINIMUM[1]} or newer; found {out.strip()!r}",
            hint="upgrade git",
        )


def resolve_ref(url: str, ref: str | None, source: str) -> str:
    """The 40-hex commit ``ref`` names in the repository at ``url`` (its HEAD when None):
    a full commit as it is, else a branch or a tag (an annotated tag's commit)."""
    if ref is not None and HEX40.fullmatch(ref):
        return ref
    wanted = ref or "HEAD"
    out = git(
        "ls-remote",
        "--",
        url,
        wanted,
        what=f"source '{source}' ({shown_url(url)})",
        hint=UNREACHABLE,
    )
    found: dict[str, str] = {}
    for line in out.splitlines():
        commit, _, name = line.partition("\t")
        found[name] = commit
    for name in (
        f"refs/tags/{wanted}^{{}}",
        f"refs/tags/{wanted}",
        f"refs/heads/{wanted}",
        wanted,
    ):
        if name in found:
            return found[name]
    raise SourceError(
        f"source '{source}': ref '{wanted}' does not exist in {shown_url(url)}",
        hint="name a tag, a branch or a full commit of that repository",
    )


def fetch(store: Path, url: str, commit: str, source: str) -> None:
    """Fetch ``commit`` from ``url`` into the bare repository ``store`` (made if
    missing), unless it is there already. A commit the remote no longer has (a
    force-push) is an error that says so."""
    if not (store / "HEAD").is_file():
        store.mkdir(parents=True, exist_ok=True)
        git("init", "--quiet", "--bare", str(store), what=f"source '{source}': git init")
    if has_commit(store, commit):
        return
    where = f"source '{source}' ({shown_url(url)})"
    try:
        git("fetch", "--quiet", "--no-tags", "--", url, commit, cwd=store, what=where)
    except SourceError as exc:
        # unreachable: its message instead
        git("ls-remote", "--", url, "HEAD", what=where, hint=UNREACHABLE)
        raise SourceError(
            f"{where}: the locked commit {commit[:12]} cannot be fetched; the repository no "
            f"longer has it (a force-push?) ({exc.message})",
            hint=f"run skillsync update {source} to lock what the ref names now, and review "
            "the change",
        ) from None
    if not has_commit(store, commit):
        raise SourceError(f"{where}: the fetch did not bring commit {commit[:12]}")


def has_commit(store: Path, commit: str) -> bool:
    try:
        return git("cat-file", "-t", commit, cwd=store, what="git cat-file").strip() == "commit"
    except SourceError:
        return False


def list_files(store: Path, commit: str) -> list[tuple[str, str, str]]:
    """(mode, blob, path) of every file of ``commit``."""
    out = git("ls-tree", "-r", "-z", "--full-tree", commit, cwd=store, what="git ls-tree")
    files = []
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, blob = meta.split(" ")
        if kind == "blob":
            files.append((mode, blob, path))
    return files


def read_blobs(store: Path, blobs: list[str]) -> dict[str, bytes]:
    """The bytes of each blob, as stored: no filter, attribute or line-ending rule applies."""
    if not blobs:
        return {}
    executable = shutil.which("git") or "git"
    done = subprocess.run(
        [executable, "cat-file", "--batch"],
        cwd=store,
        input="".join(f"{blob}\n" for blob in blobs).encode(),
        capture_output=True,
        env=_environment(),
        check=False,
    )
    if done.returncode != 0:
        raise SourceError(f"git cat-file failed: {_clean(done.stderr.decode('utf-8', 'replace'))}")
    out, data, offset = {}, done.stdout, 0
    for _ in blobs:
        end = data.index(b"\n", offset)
        name, _, size = data[offset:end].decode().split(" ")
        start = end + 1
        out[name] = data[start : start + int(size)]
        offset = start + int(size) + 1
    return out
