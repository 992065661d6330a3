"""Skill files -> desired skills, with the location of every problem.

Two formats: a YAML skill file (schemas/skill.schema.json), whose instructions
may live in an ``instructions_file``, and an Agent Skills folder whose
``SKILL.md`` holds YAML front matter and the instructions as its body.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillsync import schemas
from skillsync.model import Asset, Location, Problem, Skill, SkillText, printable
from skillsync.repo_paths import (
    KIND_PROBLEMS,
    PERMISSION_DENIED,
    RepoPaths,
    hidden_part,
    rel,
    sensitive_link,
    unreadable,
)
from skillsync.walk import NOT_UTF8, Found, shown, uploadable_name, walk
from skillsync.yamlread import Document, YAMLProblem, parse, read_source

SKILL_MD = "SKILL.md"
DEFAULT_SKILL_MD_VERSION = "1.0.0"


@dataclass
class SkillFile:
    """The outcome of loading one file: a skill if it is valid, and its problems."""

    path: str
    skill: Skill | None = None
    problems: list[Problem] = field(default_factory=list)
    name: str | None = None
    name_at: Location | None = None
    renamed_at: dict[str, Location] = field(default_factory=dict)
    not_a_file: bool = False
    upload_bytes: int | None = None
    """A SKILL.md folder: the bytes of every file it uploads (YAML skills: see Skill)."""
    depends: list[str] = field(default_factory=list)
    """Other files its verdict depends on (an instructions_file), as resolved paths."""
    description_at: Location | None = None
    text: SkillText | None = None
    """A valid skill as the lint rules read it (validation runs them, then drops it)."""


def load_file(root: Path, path: Path, inside: RepoPaths | None = None) -> SkillFile:
    """Load one file; ``SkillFile.not_a_file`` marks a glob match that is a folder."""
    display = rel(root, path)
    if NOT_UTF8.search(display):  # no output could print it, no upload carry it
        result = SkillFile(shown(display))
        message = "the path holds bytes that are not UTF-8; rename it"
        result.problems.append(Problem(Location(result.path), message, rule="file-name"))
        return result
    result = SkillFile(display)
    inside = inside or RepoPaths(root)
    real = inside.resolve(path)
    if not inside.holds(real):
        message = "resolves outside the repository (symlink); keep skill files inside it"
        result.problems.append(Problem(Location(display), message, rule="outside-repository"))
        return result
    hidden = hidden_part(real, inside.root)
    if hidden:
        message = (
            f"is a symlink to {hidden!r}, a hidden file or folder whose contents must never "
            "be uploaded; put the skill file itself here"
        )
        result.problems.append(Problem(Location(display), message, rule="sensitive-path"))
        return result
    try:
        if path.name == SKILL_MD:
            _load_skill_md(root, path, result, inside)
        else:
            _load_yaml(root, path, result, inside)
    except IsADirectoryError:
        result.not_a_file = True
    except FileNotFoundError:
        result.problems.append(
            Problem(Location(display), "cannot be read (a broken symlink?)", rule="unreadable")
        )
    except OSError as exc:  # permission denied, a FIFO, an I/O error: never a crash
        result.problems.append(Problem(Location(display), unreadable(exc), rule="unreadable"))
    except YAMLProblem as exc:
        result.problems.append(
            Problem(Location(display, exc.line, exc.col), exc.message, rule="yaml")
        )
    return result


def _mapping(doc: Document, result: SkillFile, what: str) -> bool:
    where = Location(result.path, *doc.values.get((), (1, 1)))
    if doc.value is None:
        result.problems.append(Problem(where, f"{what} is empty; it needs {_NEEDS}", rule="yaml"))
    elif isinstance(doc.value, list):
        result.problems.append(
            Problem(
                where,
                f"{what} holds a list; one skill per file, as a mapping of {_NEEDS}",
                rule="yaml",
            )
        )
    elif not isinstance(doc.value, dict):
        result.problems.append(
            Problem(where, f"{what} is not a mapping; it needs {_NEEDS}", rule="yaml")
        )
    else:
        return True
    return False


_NEEDS = "name, description, version and instructions"


def _note_names(doc: Document, result: SkillFile) -> None:
    if "description" in doc.value:
        result.description_at = doc.locate(result.path, ("description",))
    name = doc.value.get("name")
    if isinstance(name, str):
        result.name = name
        result.name_at = doc.locate(result.path, ("name",))
    renamed = doc.value.get("renamed_from")
    if isinstance(renamed, list):
        for index, old in enumerate(renamed):
            if isinstance(old, str):
                result.renamed_at[old] = doc.locate(result.path, ("renamed_from", index))


def _lint_text(doc: Document, result: SkillFile, **more: Any) -> SkillText | None:
    """What the lint rules read of a skill file whose name and description are text,
    valid or not (the name rules speak even when the schema refused the description)."""
    name, description = doc.value.get("name"), doc.value.get("description")
    if not isinstance(name, str) or not isinstance(description, str):
        return None
    return SkillText(
        path=result.path,
        name=name,
        name_at=result.name_at or Location(result.path),
        description=description,
        description_at=result.description_at or Location(result.path),
        **more,
    )


def _load_yaml(root: Path, path: Path, result: SkillFile, inside: RepoPaths) -> None:
    source = read_source(path)
    doc = parse(source)
    if not _mapping(doc, result, "the file"):
        return
    _note_names(doc, result)
    result.problems.extend(schemas.check(doc, "skill.schema.json", result.path))
    if result.problems:
        result.text = _lint_text(doc, result, source=source)
        return
    data = doc.value
    instructions = data.get("instructions")
    if instructions is None:
        instructions = _read_instructions_file(
            root, path, data["instructions_file"], doc, result, inside
        )
        if instructions is None:
            return
        body_path, body_line, indent = (
            rel(root, Path(os.path.normpath(result.depends[-1]))),
            1,
            0,
        )
    else:
        body_path = result.path
        body_line, indent = _block_start(source, doc.where(("instructions",)))
    result.text = _lint_text(
        doc,
        result,
        body=instructions,
        body_line=body_line,
        body_path=body_path,
        source=source,
        body_indent=indent,
    )
    result.skill = Skill(
        name=data["name"],
        description=data["description"],
        instructions=instructions,
        version=data["version"],
        source=result.path,
        renamed_from=tuple(data.get("renamed_from", ())),
        display_name=data.get("display_name"),
    )


def _block_start(source: str, at: tuple[int, int]) -> tuple[int, int]:
    """The line on which a YAML value's text starts (the next one for a block scalar),
    and the columns a block scalar's lines are indented by (0 for other scalars)."""
    line, col = at
    lines = source.split("\n", line + 64)
    here = lines[line - 1] if line <= len(lines) else ""
    if here[col - 1 : col] not in ("|", ">"):
        return line, 0
    for text in lines[line:]:
        if text.strip():
            return line + 1, len(text) - len(text.lstrip(" "))
    return line + 1, 0


def _read_instructions_file(
    root: Path, path: Path, value: str, doc: Document, result: SkillFile, inside: RepoPaths
) -> str | None:
    def fail(message: str, rule: str = "schema") -> None:
        where = doc.locate(result.path, ("instructions_file",))
        result.problems.append(Problem(where, f"instructions_file: {message}", rule=rule))

    if os.path.isabs(value) or value.startswith(("/", "\\")):
        fail(f"{value!r} is an absolute path; give a path relative to {path.name}")
        return None
    target = os.path.join(os.path.dirname(path), value)
    resolved = inside.resolve(target)
    result.depends.append(os.path.normpath(target))
    if not inside.holds(resolved):
        fail(f"{value!r} resolves outside the repository; keep it inside", "sensitive-path")
        return None
    hidden = hidden_part(resolved, inside.root)
    if hidden:
        fail(
            f"{value!r} leads to {hidden!r}, a hidden file or folder (.git, .env...) whose "
            "contents must never be uploaded; point it at a visible file",
            "sensitive-path",
        )
        return None
    try:
        text = read_source(Path(resolved))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        fail(
            f"{value!r} not found (looked at {rel(root, Path(os.path.normpath(target)))})",
            "unreadable",
        )
        return None
    except OSError as exc:
        fail(f"{value!r} {unreadable(exc)}", "unreadable")
        return None
    except YAMLProblem as exc:
        shown = rel(Path(inside.root), Path(resolved))
        result.problems.append(
            Problem(Location(shown, exc.line, exc.col), exc.message, rule="yaml")
        )
        return None
    if not text:
        fail(f"{value!r} is empty")
        return None
    return text


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """SKILL.md text -> (front matter, body, line of the body); None without front matter."""
    if not text.startswith(("---\n", "---\r\n")):
        return None
    start = text.index("\n") + 1
    position = start
    while True:
        end = text.find("\n", position)
        line = text[position:] if end == -1 else text[position:end]
        if line.rstrip("\r") == "---":
            body_start = len(text) if end == -1 else end + 1
            return text[start:position], text[body_start:], text.count("\n", 0, body_start) + 1
        if end == -1:
            return text[start:], "", -1
        position = end + 1


def folder_assets(folder: str, inside: RepoPaths, result: SkillFile) -> tuple[Asset, ...]:
    """The files a SKILL.md folder uploads besides SKILL.md: every regular file under
    it, except hidden ones (``.name``) and ``__pycache__``. A file symlink counts as its
    target; a folder symlink is not followed. What cannot be uploaded (a file that leads
    outside the repository or cannot be read, a folder symlink, a FIFO) is a problem,
    located at it."""
    assets: list[Asset] = []
    tree = inside.tree
    covered = tree.inside(folder) if tree is not None else None
    # from the repository's walk, paths relative to its root (the first ``cut`` characters
    # name the folder), else a walk of the folder alone
    if tree is None or covered is None:
        entries, cut = walk(folder), 0
    else:
        entries, cut = covered, len(folder) - len(tree.root)

    def at(found: Found) -> Location:
        normal, prefix = os.path.normpath(found.path), inside.root + os.sep
        if normal.startswith(prefix):
            return Location(shown(normal[len(prefix) :].replace(os.sep, "/")))
        return Location(shown(rel(Path(inside.root), Path(normal))))

    for found in entries:
        path = found.rel[cut:]
        if path == SKILL_MD:
            continue
        if not uploadable_name(path):
            message = (
                f"the file name '{printable(shown(path))}' holds a double quote, a control "
                "character or "
                "bytes that are not UTF-8, which an upload cannot carry as it is; rename the file"
            )
            result.problems.append(Problem(at(found), message, rule="file-name"))
        elif found.kind != "file":
            result.problems.append(Problem(at(found), KIND_PROBLEMS[found.kind], rule="unreadable"))
        elif found.real != found.path and (why := sensitive_link(found.real, inside)):
            result.problems.append(Problem(at(found), why, rule="sensitive-path"))
        elif not os.access(found.real, os.R_OK):
            problem = Problem(at(found), PERMISSION_DENIED, rule="unreadable")
            result.problems.append(problem)
        else:
            assets.append(Asset(path, found.real, found.size()))
    return tuple(assets)


def _load_skill_md(root: Path, path: Path, result: SkillFile, inside: RepoPaths) -> None:
    text = read_source(path)
    parts = split_front_matter(text)
    if parts is None:
        result.problems.append(
            Problem(
                Location(result.path),
                "SKILL.md must start with YAML front matter between '---' lines "
                "(name, description)",
                rule="yaml",
            )
        )
        return
    front, body, body_line = parts
    if body_line < 0:
        result.problems.append(
            Problem(
                Location(result.path), "front matter is not closed by a '---' line", rule="yaml"
            )
        )
        return
    doc = parse(front, line_offset=1)
    if not _mapping(doc, result, "the front matter"):
        return
    _note_names(doc, result)
    result.problems.extend(schemas.check(doc, "agent-skill.schema.json", result.path))
    folder = path.parent.name
    name = doc.value.get("name")
    if isinstance(name, str) and name != folder:
        result.problems.append(
            Problem(
                doc.locate(result.path, ("name",)),
                f"name '{name}' differs from its folder '{folder}'; rename one to match",
            )
        )
    if not body.strip():
        result.problems.append(
            Problem(
                Location(result.path, max(body_line, 1)),
                "no instructions after the front matter",
            )
        )
    assets = folder_assets(str(path.parent), inside, result)
    result.upload_bytes = len(text.encode("utf-8")) + sum(a.size for a in assets)
    metadata = doc.value.get("metadata")
    version = metadata.get("version") if isinstance(metadata, dict) else None
    result.text = _lint_text(
        doc,
        result,
        body=body,
        body_line=body_line,
        body_path=result.path,
        folder=str(path.parent),
        folder_shown=rel(root, path.parent),
        uploads=frozenset((SKILL_MD, *(a.path for a in assets))),
        documents={a.path: a.real for a in assets if a.path.lower().endswith(".md")},
        root=inside.root,
        versioned=version is not None,
        source=text,
        files=tuple((a.path, a.real) for a in assets),
    )
    if result.problems:
        return
    result.skill = Skill(
        name=doc.value["name"],
        description=doc.value["description"],
        instructions=body,
        version=version or DEFAULT_SKILL_MD_VERSION,
        source=result.path,
        skill_md=text,
        assets=assets,
        versioned=version is not None,
    )
