"""Find and load skillsync.yaml; resolve targets (endpoint, key variable, scopes)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillsync import dialects, schemas
from skillsync.errors import ConfigError, TargetError
from skillsync.lint.settings import LintSettings
from skillsync.model import Location, Problem
from skillsync.walk import fixed_folder, glob_regex, skipped
from skillsync.yamlread import YAMLProblem, parse, read_source

CONFIG_NAME = "skillsync.yaml"
DEFAULT_GLOBS = ("skills/**/*.yaml", "skills/**/*.yml", "skills/**/SKILL.md")
DEFAULT_API = dialects.DEFAULT
DEFAULT_BASE_URL = dialects.DIALECTS[DEFAULT_API].default_base_url
DEFAULT_KEY_ENV = dialects.DIALECTS[DEFAULT_API].default_key_env
BASE_URL_ENV = "SKILLSYNC_BASE_URL"
DEFAULT_PARALLELISM = 10
IMPLICIT_TARGET = "default"


@dataclass(frozen=True)
class SourceConfig:
    """A source as ``skillsync.yaml`` declares it."""

    name: str
    git: str
    ref: str | None = None
    path: str = ""
    skills: tuple[str, ...] | None = None
    at: str = ""
    """Where it is declared (``skillsync.yaml:LINE:COL``), for errors."""


@dataclass(frozen=True)
class TargetConfig:
    """One place this repository deploys to: a workspace of a Skills API, or a folder."""

    name: str
    base_url: str = DEFAULT_BASE_URL
    """Where it is, as written: an API's URL (or ``local:<path>``), or the folder's path."""
    api_key_env: str = DEFAULT_KEY_ENV
    """The variable holding the key ("" where none is needed)."""
    manage: tuple[str, ...] | None = None
    protect: tuple[str, ...] = ()
    parallelism: int = DEFAULT_PARALLELISM
    api: str = DEFAULT_API
    settings: tuple[tuple[str, Any], ...] = ()
    """The keys only its dialect reads (``Dialect.keys``), as written."""

    def setting(self, key: str, default: Any = None) -> Any:
        return dict(self.settings).get(key, default)

    @property
    def dialect(self) -> dialects.Dialect:
        return dialects.dialect(self.api)


@dataclass(frozen=True)
class Config:
    root: Path
    skills: tuple[str, ...] = DEFAULT_GLOBS
    skills_at: tuple[Location, ...] = ()
    """Where each glob of ``skills`` is written (none for the default globs)."""
    default_target: str | None = None
    targets: tuple[TargetConfig, ...] = ()
    max_delete_percent: float = 30
    min_managed: int = 10
    version_bump: str = "warn"
    lint: LintSettings = field(default_factory=LintSettings)
    sources: tuple[SourceConfig, ...] = ()
    """Skills from other repositories (SPEC 14), in the order declared."""

    @property
    def path(self) -> Path:
        return self.root / CONFIG_NAME

    def dialects(self) -> frozenset[str]:
        """The API dialects this repository's targets speak (validate checks their limits)."""
        return frozenset(t.api for t in self.targets) or frozenset({DEFAULT_API})

    def target(self, name: str | None) -> TargetConfig:
        """The target named by --target, else default_target, else the only one."""
        by_name = {t.name: t for t in self.targets}
        chosen = name or self.default_target
        if chosen is None:
            if len(self.targets) == 1:
                return self.targets[0]
            if not self.targets:
                return TargetConfig(name=IMPLICIT_TARGET)
            raise TargetError(
                "several targets are defined and none was chosen",
                hint=f"pass --target ({', '.join(sorted(by_name))}) or set default_target",
            )
        if chosen not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise TargetError(
                f"unknown target '{chosen}' (targets in {CONFIG_NAME}: {known})",
                hint="pass --target with one of them",
            )
        return by_name[chosen]

    def chosen(self, names: tuple[str, ...], all_targets: bool = False) -> list[TargetConfig]:
        """The targets of ``--target`` (repeatable, in the order given; none: the default
        target) or of ``--all-targets`` (every target, in the config's order)."""
        if all_targets:
            if not self.targets:
                raise TargetError(
                    f"--all-targets: {CONFIG_NAME} defines no targets",
                    hint="add targets to skillsync.yaml, or drop --all-targets",
                )
            return list(self.targets)
        if not names:
            return [self.target(None)]
        return [self.target(name) for name in dict.fromkeys(names)]


def leaves_repository(pattern: str) -> bool:
    """A skills glob that is absolute or climbs out with '..'."""
    return pattern.startswith("/") or ".." in Path(pattern).parts


def find_root(directory: Path | None) -> Path:
    """The folder holding skillsync.yaml: ``directory`` itself, or searched upwards from cwd."""
    if directory is not None:
        if not (directory / CONFIG_NAME).is_file():
            raise ConfigError(
                f"no {CONFIG_NAME} in {directory}",
                hint="pass -C with the folder that holds it, or create one (see README)",
            )
        return directory.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} found in {here} or any parent folder",
        hint="run from inside a skills repository, pass -C DIR, or create one (see README)",
    )


def load(directory: Path | None) -> tuple[Config, list[Problem]]:
    """Load the config; problems are returned (validate reports them all at once)."""
    root = find_root(directory)
    try:
        doc = parse(read_source(root / CONFIG_NAME))
    except OSError as exc:
        raise ConfigError(
            f"{CONFIG_NAME} cannot be read ({exc.strerror or exc})",
            hint=f"make {root / CONFIG_NAME} a readable file",
        ) from None
    except YAMLProblem as exc:
        where = Location(CONFIG_NAME, exc.line, exc.col)
        return Config(root=root), [Problem(where, exc.message, rule="yaml")]
    if not isinstance(doc.value, dict):
        what = "empty" if doc.value is None else "not a mapping"
        problem = Problem(Location(CONFIG_NAME), f"{CONFIG_NAME} is {what}", rule="yaml")
        return Config(root=root), [problem]
    problems = schemas.check(doc, "config.schema.json", CONFIG_NAME)
    data: dict[str, Any] = doc.value
    if problems:
        return Config(root=root), problems
    targets = tuple(_target(name, t) for name, t in data.get("targets", {}).items())
    problems.extend(_foreign_keys(doc, data))
    default = data.get("default_target")
    if default is not None and default not in {t.name for t in targets}:
        problems.append(
            Problem(
                doc.locate(CONFIG_NAME, ("default_target",)),
                f"default_target: '{default}' is not one of the targets",
            )
        )
    for index, pattern in enumerate(data.get("skills", ())):
        if leaves_repository(pattern):
            problems.append(
                Problem(
                    doc.locate(CONFIG_NAME, ("skills", index)),
                    f"skills[{index}]: glob {pattern!r} leaves the repository; "
                    "use a path relative to skillsync.yaml without '..'",
                )
            )
    safety = data.get("safety", {})
    sources = tuple(
        SourceConfig(
            name=name,
            git=entry["git"],
            ref=entry.get("ref"),
            path=entry.get("path", "").strip("/"),
            skills=tuple(entry["skills"]) if "skills" in entry else None,
            at=str(doc.locate(CONFIG_NAME, ("sources", name))),
        )
        for name, entry in data.get("sources", {}).items()
    )
    config = Config(
        root=root,
        skills=tuple(data.get("skills", DEFAULT_GLOBS)),
        skills_at=tuple(
            doc.locate(CONFIG_NAME, ("skills", index))
            for index in range(len(data.get("skills", ())))
        ),
        default_target=default,
        targets=targets,
        max_delete_percent=safety.get("max_delete_percent", 30),
        min_managed=safety.get("min_managed", 10),
        version_bump=_off(data.get("policy", {}).get("version_bump", "warn")),
        lint=LintSettings(
            rules=tuple(
                (name, _off(level)) for name, level in data.get("lint", {}).get("rules", {}).items()
            ),
            per_file_ignores=tuple(
                (glob, tuple(names))
                for glob, names in data.get("lint", {}).get("per_file_ignores", {}).items()
            ),
        ),
        sources=sources,
    )
    problems.extend(_installs_among_skills(doc, config))
    return config, problems


COMMON_KEYS = ("api", "manage", "protect", "parallelism")
"""The target keys every dialect reads; the others are its own (``Dialect.keys``)."""


def _target(name: str, t: dict[str, Any]) -> TargetConfig:
    """One target; what it leaves out, its dialect's defaults."""
    dialect = dialects.dialect(t.get("api", DEFAULT_API))
    own = {key: value for key, value in t.items() if key in dialect.keys}
    where = own.pop("base_url", dialect.default_base_url)
    if not dialect.http:
        where = str(own.get(dialect.required[0], "")) if dialect.required else ""
    return TargetConfig(
        name=name,
        base_url=where,
        api_key_env=own.pop("api_key_env", dialect.default_key_env),
        manage=tuple(t["manage"]) if "manage" in t else None,
        protect=tuple(t.get("protect", ())),
        parallelism=t.get("parallelism", DEFAULT_PARALLELISM),
        api=dialect.name,
        settings=tuple(sorted(own.items())),
    )


def _foreign_keys(doc: Any, data: dict[str, Any]) -> list[Problem]:
    """A target key that only other dialects read, or one its dialect needs and lacks:
    an error where it is written (a ``promote:`` on an anthropic target, or a
    ``base_url`` on a folder, would otherwise be silently ignored)."""
    problems = []
    for name, t in data.get("targets", {}).items():
        api = t.get("api", DEFAULT_API)
        record = dialects.dialect(api)
        for key in sorted(set(t) - set(record.keys) - set(COMMON_KEYS)):
            readers = [d.name for d in dialects.DIALECTS.values() if key in d.keys]
            problems.append(
                Problem(
                    doc.locate(CONFIG_NAME, ("targets", name, key)),
                    f"targets.{name}.{key}: only targets with api: {' or '.join(readers)} "
                    f"read it (this one has api: {api})",
                )
            )
        for key in record.required:
            if key not in t:
                problems.append(
                    Problem(
                        doc.locate(CONFIG_NAME, ("targets", name)),
                        f"targets.{name}: api: {api} needs '{key}' "
                        f"({record.keys[key]['description']})",
                    )
                )
    return problems


def _installs_among_skills(doc: Any, config: Config) -> list[Problem]:
    """A target folder on this machine where the skills globs look: after one apply, the
    repository would read the installed copies as skills of its own (every name twice).
    A hidden folder (``.claude/skills``) is walked only by a glob that names it."""
    problems = []
    for target in config.targets:
        record = dialects.dialect(target.api)
        if record.http or not record.required:
            continue
        inside = folder_path(config, target)
        if not inside.is_relative_to(config.root):
            continue
        parts = inside.relative_to(config.root).parts
        hidden = next((i for i, part in enumerate(parts) if skipped(part)), None)
        patterns = config.skills
        if hidden is not None:  # walked only by a glob that names the hidden folder itself
            named = "/".join(parts[: hidden + 1]) + "/"
            patterns = tuple(p for p in patterns if f"{fixed_folder(p)}/".startswith(named))
        prefix = "".join(f"{part}/" for part in parts)
        probes = [prefix + p for p in ("x/SKILL.md", "x/x.yaml", "x/x.yml", "x/x/SKILL.md")]
        for pattern in patterns:
            regex = glob_regex(pattern.removeprefix("./"))
            if any(regex.fullmatch(probe) for probe in probes):
                key = record.required[0]
                problems.append(
                    Problem(
                        doc.locate(CONFIG_NAME, ("targets", target.name, key)),
                        f"targets.{target.name}.{key}: the skills glob {pattern!r} looks in "
                        f"that folder, so after an apply the repository would read the "
                        "installed skills as its own; install them outside the globs (a "
                        "hidden folder such as .claude/skills is never read)",
                    )
                )
                break
    return problems


def _off(level: Any) -> Any:
    """YAML 1.1 reads an unquoted ``off`` as false: both mean off."""
    return "off" if level is False else level


def load_or_fail(directory: Path | None) -> Config:
    config, problems = load(directory)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        listing = "\n".join(f"  {p}" for p in errors)
        raise ConfigError(f"{CONFIG_NAME} is invalid:\n{listing}")
    return config


def resolve_base_url(target: TargetConfig, flag: str | None) -> str:
    """``--base-url`` > $SKILLSYNC_BASE_URL > the target's base_url > its dialect's API.

    The URL stays as written (a ``local:`` path relative to the config), so a
    saved plan names the same endpoint from any checkout of the repository.
    """
    if not target.dialect.http:
        return target.base_url  # a folder: the endpoint flags are an API's
    url = flag or os.environ.get(BASE_URL_ENV) or target.base_url
    return url if url.startswith("local:") else url.rstrip("/")


def local_db_path(config: Config, base_url: str) -> Path | None:
    """The SQLite file of a ``local:`` base URL, relative to the config's folder."""
    if not base_url.startswith("local:"):
        return None
    path = Path(base_url[len("local:") :])
    return path if path.is_absolute() else config.root / path


def folder_path(config: Config, target: TargetConfig) -> Path:
    """The folder of a target that is a place on this machine: ``~`` expanded, relative
    to the config's folder, ``..`` taken away as the path reads (a symlinked folder on
    the way is not resolved: the path shown is the one the config wrote)."""
    path = Path(os.path.expanduser(target.base_url))
    return Path(os.path.normpath(path if path.is_absolute() else config.root / path))


def workspace_of(config: Config, target: TargetConfig, flag: str | None) -> tuple[str, str]:
    """What ``target`` reaches: (how to show it, what tells it apart). Two targets that
    reach one workspace (the same local file however it is spelt, or the same endpoint,
    key and workspace headers) would each apply the same plan: every skill twice, or a
    file locked twice. The key is compared by its digest and never shown."""
    base_url = resolve_base_url(target, flag)
    if not target.dialect.http:
        folder = folder_path(config, target)
        return str(folder), f"folder\0{os.path.realpath(folder)}"
    db = local_db_path(config, base_url)
    if db is not None:
        return f"local:{db}", f"local\0{os.path.realpath(db)}"
    key = os.environ.get(target.api_key_env, "")
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    headers = [f"{k}={v}" for k, v in target.settings]
    return base_url, "\0".join([base_url.lower(), digest, *headers])


def refuse_shared_workspaces(config: Config, targets: list[TargetConfig], flag: str | None) -> None:
    """Several targets of one run must reach different workspaces (checked before anything
    is opened or sent)."""
    seen: dict[str, TargetConfig] = {}
    for target in targets:
        shown, identity = workspace_of(config, target, flag)
        first = seen.setdefault(identity, target)
        if first is not target:
            raise TargetError(
                f"targets '{first.name}' and '{target.name}' reach the same workspace "
                f"({shown}); one run would apply every change to it twice",
                hint="point one of them elsewhere (--base-url overrides every target), or "
                "run them one at a time",
            )
