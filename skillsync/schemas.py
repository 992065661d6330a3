"""The JSON Schemas of schemas/, compiled once, and their errors made readable.

jsonschema reports an error at the instance that failed; this module turns each
into a ``Problem`` at the line and column a user has to edit, with a message
that names the field (for unknown and missing keys, which jsonschema reports on
the parent mapping, the key itself or the mapping that lacks it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from skillsync.fastcheck import Check, Compiler, ecma_pattern
from skillsync.model import Problem
from skillsync.yamlread import Document

SCHEMA_FILES = ("skill.schema.json", "agent-skill.schema.json", "config.schema.json")


def schema_dir() -> Path:
    """Where the schemas are: inside the installed wheel, else the source checkout."""
    packaged = resources.files("skillsync") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    # Editable install or source checkout: schemas/ sits beside the package.
    return Path(__file__).resolve().parent.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    return data


def _by_id() -> dict[str, dict[str, Any]]:
    return {load_schema(n)["$id"]: load_schema(n) for n in SCHEMA_FILES}


def _resolve(base: str, ref: str) -> dict[str, Any]:
    from urllib.parse import urljoin

    url, _, pointer = urljoin(base, ref).partition("#")
    node: Any = _by_id()[url]
    for part in filter(None, pointer.split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    result: dict[str, Any] = node
    return result


@cache
def fast_validator(name: str) -> Check:
    schema = load_schema(name)
    return Compiler(_resolve).compile(schema, schema["$id"])


@cache
def validator(name: str) -> Any:
    """jsonschema's validator, imported only when a document needs its messages."""
    from jsonschema import Draft202012Validator, validators
    from referencing import Registry, Resource

    def pattern(v: Any, expected: str, instance: Any, schema: Any) -> Any:
        from jsonschema.exceptions import ValidationError

        if isinstance(instance, str) and not ecma_pattern(expected).search(instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    ecma = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"pattern": pattern}
    )
    registry: Registry[Any] = Registry().with_resources(
        (load_schema(n)["$id"], Resource.from_contents(load_schema(n))) for n in SCHEMA_FILES
    )
    return ecma(load_schema(name), registry=registry)


_PATTERN_MESSAGES = {
    "name": "must be 1-64 characters of a-z, 0-9 and single inner hyphens",
    "renamed_from": "must be 1-64 characters of a-z, 0-9 and single inner hyphens",
    "description": "must not contain < or >",
    "version": "must be a semantic version such as 1.2.0",
    "base_url": "must be an https:// URL or local:<path>",
    "display_name": "must be a single line",
    "api_key_env": "must be the name of an environment variable (the key itself never goes here)",
}

_JSON_TYPES = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def field_name(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problems(error: Any, doc: Document, file: str) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    field = field_name(path)
    kind: Any = error.validator
    instance: Any = error.instance
    expected: Any = error.validator_value
    schema: Any = error.schema
    here = doc.locate(file, path)
    last = next((p for p in reversed(path) if isinstance(p, str)), "")

    if kind == "required":
        for prop in expected:
            if isinstance(instance, dict) and prop not in instance:
                yield Problem(here, f"missing required field '{field_name((*path, prop))}'")
    elif kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                message = f"unknown field '{field_name((*path, key))}'"
                if allowed:
                    message += f"; allowed here: {', '.join(allowed)}"
                yield Problem(doc.locate(file, (*path, key), key=True), message)
    elif kind == "oneOf" and expected == [
        {"required": ["instructions"]},
        {"required": ["instructions_file"]},
    ]:
        if isinstance(instance, dict) and "instructions" in instance:
            yield Problem(
                doc.locate(file, (*path, "instructions_file"), key=True),
                "use either 'instructions' or 'instructions_file', not both",
            )
        else:
            yield Problem(here, "missing required field 'instructions' (or 'instructions_file')")
    elif kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_JSON_TYPES.get(n, n) for n in names)
        message = f"{field}: must be {want}, not {_type_name(instance)}"
        if last == "version" and isinstance(instance, (int, float)):
            message += ' (quote it: version: "1.0.0")'
        yield Problem(here, message)
    elif kind == "maxLength":
        yield Problem(
            here,
            f"{field}: {len(instance)} characters, over the limit of {expected}",
        )
    elif kind == "minLength":
        yield Problem(here, f"{field}: must not be empty")
    elif kind == "pattern":
        rule = _PATTERN_MESSAGES.get(last, f"must match {expected}")
        yield Problem(here, f"{field}: {rule} (got {_short(instance)})")
    elif kind in ("const", "enum"):
        allowed_values = [expected] if kind == "const" else list(expected)
        choices = ", ".join(json.dumps(v) for v in allowed_values)
        yield Problem(here, f"{field}: must be {choices} (got {_short(instance)})")
    elif kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        yield Problem(here, f"{field}: must be {bound} {expected}")
    elif kind == "minItems":
        yield Problem(here, f"{field}: must list at least {expected} item(s)")
    elif kind == "uniqueItems":
        yield Problem(here, f"{field}: lists the same name more than once")
    elif kind == "propertyNames":
        yield Problem(
            doc.locate(file, (*path, instance), key=True),
            f"{field}: name {_short(instance)} may only use letters, digits, '.', '_' and '-'",
        )
    elif kind == "oneOf":
        yield Problem(here, f"{field}: must be a string or a list of strings")
    else:  # pragma: no cover - every keyword our schemas use is handled above
        yield Problem(here, f"{field}: {error.message[:200]}")


def check(doc: Document, schema: str, file: str) -> list[Problem]:
    """All schema problems of ``doc`` (already parsed) against ``schema``."""
    if fast_validator(schema)(doc.value):
        return []
    problems: set[Problem] = set()
    for error in validator(schema).iter_errors(doc.value):
        problems.update(_problems(error, doc, file))
    return sorted(problems)


_NAME_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def is_valid_name(name: str) -> bool:
    return len(name) <= 64 and _NAME_RE.fullmatch(name) is not None
