"""The JSON Schemas of schemas/: the one place that judges a document and words its errors.

jsonschema-rs (compiled, Draft 2020-12, ECMA-262 patterns: ``$`` matches only at
the very end) decides whether a document is valid; for an invalid one, each of
its errors (a kind with its details, the instance path, the keyword's location)
becomes a ``Problem`` here, at the line and column a user has to edit, with a
message that names the field (for unknown and missing keys, reported on the
parent mapping, the key itself or the mapping that lacks it).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema_rs

from skillsync.model import Problem
from skillsync.yamlread import Document

SCHEMA_FILES = ("skill.schema.json", "agent-skill.schema.json", "config.schema.json")

INSTRUCTIONS_RULE = "https://skillsync.dev/schemas/skill.schema.json#/oneOf"
"""Where skill.schema.json says: exactly one of instructions and instructions_file."""


def schema_dir() -> Path:
    """Where the schemas are: inside the installed wheel, else the source checkout.
    (The package's folder, not ``importlib.resources``: skillsync is never run from a zip,
    and that import would cost every command, validate's pre-commit runs first.)"""
    packaged = Path(__file__).parent / "schemas"
    if packaged.is_dir():
        return packaged
    # Editable install or source checkout: schemas/ sits beside the package.
    return Path(__file__).resolve().parent.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    if name == CONFIG_SCHEMA:
        data = with_dialects(data)
    return data


CONFIG_SCHEMA = "config.schema.json"
COMMON_TARGET_KEYS = ("manage", "protect", "parallelism")
"""The target keys config.schema.json defines itself; ``api`` and the dialects' own keys
come from the dialect table."""


def with_dialects(config_schema: dict[str, Any]) -> dict[str, Any]:
    """config.schema.json with its target made from the dialect table (the file on disk is
    kept equal to this for editors: ``python -m skillsync.schemas`` rewrites it)."""
    from skillsync import dialects

    target = config_schema["$defs"]["target"]
    common = {key: target["properties"][key] for key in COMMON_TARGET_KEYS}
    made = {**config_schema, "$defs": {**config_schema["$defs"]}}
    made["$defs"]["target"] = dialects.target_schema(common)
    return made


def write_config_schema() -> Path:
    """Rewrite schemas/config.schema.json from the dialect table."""
    path = schema_dir() / CONFIG_SCHEMA
    data = with_dialects(json.loads(path.read_text(encoding="utf-8")))
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(load_schema(n)["$id"], load_schema(n)) for n in SCHEMA_FILES])


@cache
def validator(name: str) -> jsonschema_rs.Draft202012Validator:
    """The compiled validator of a schema file (its ``$ref``s to the others resolved)."""
    return jsonschema_rs.Draft202012Validator(load_schema(name), registry=_registry())


@cache
def field_validator(schema: str, field: str) -> jsonschema_rs.Draft202012Validator:
    """The rule of one property of a schema file (the emulator checks fields with it)."""
    rule = load_schema(schema)["properties"][field]
    return jsonschema_rs.Draft202012Validator(rule, registry=_registry())


def _node(location: str) -> Any:
    """The schema node at an absolute keyword location (``<$id>#/json/pointer``)."""
    url, _, pointer = location.partition("#")
    node: Any = {load_schema(n)["$id"]: load_schema(n) for n in SCHEMA_FILES}[urljoin(url, "")]
    for part in filter(None, pointer.split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


_PATTERN_MESSAGES = {
    "name": "must be 1-64 characters of a-z, 0-9 and single inner hyphens",
    "renamed_from": "must be 1-64 characters of a-z, 0-9 and single inner hyphens",
    "description": "must not contain < or >",
    "version": "must be a semantic version such as 1.2.0",
    "base_url": "must be an https:// URL or local:<path>",
    "display_name": "must be a single line",
    "api_key_env": "must be the name of an environment variable (the key itself never goes here)",
    "workspace_id": "must be printable ASCII without spaces (it is sent as an HTTP header)",
    "anthropic_version": "must be printable ASCII without spaces (it is sent as an HTTP header)",
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
    path = tuple(error.instance_path)
    field = field_name(path)
    kind = type(error.kind).__name__
    details: dict[str, Any] = error.kind.as_dict()
    instance: Any = error.instance
    here = doc.locate(file, path)
    last = next((p for p in reversed(path) if isinstance(p, str)), "")

    if kind == "Required":
        yield Problem(here, f"missing required field '{field_name((*path, details['property']))}'")
    elif kind == "AdditionalProperties":
        parent = _node(error.absolute_keyword_location.rsplit("/", 1)[0])
        allowed = sorted(parent.get("properties", {}))
        for key in details["unexpected"]:
            message = f"unknown field '{field_name((*path, key))}'{_did_you_mean(key, allowed)}"
            if allowed:
                message += f"; allowed here: {', '.join(allowed)}"
            yield Problem(doc.locate(file, (*path, key), key=True), message)
    elif kind.startswith("OneOf") and error.absolute_keyword_location == INSTRUCTIONS_RULE:
        if kind == "OneOfMultipleValid":
            yield Problem(
                doc.locate(file, (*path, "instructions_file"), key=True),
                "use either 'instructions' or 'instructions_file', not both",
            )
        else:
            yield Problem(here, "missing required field 'instructions' (or 'instructions_file')")
    elif kind == "Type":
        names = details["types"]
        want = " or ".join(_JSON_TYPES.get(n, n) for n in names)
        message = f"{field}: must be {want}, not {_type_name(instance)}"
        if last == "version" and isinstance(instance, (int, float)):
            message += ' (quote it: version: "1.0.0")'
        yield Problem(here, message)
    elif kind == "MaxLength":
        yield Problem(
            here, f"{field}: {len(instance)} characters, over the limit of {details['limit']}"
        )
    elif kind == "MinLength":
        yield Problem(here, f"{field}: must not be empty")
    elif kind == "Pattern":
        rule = _PATTERN_MESSAGES.get(last, f"must match {details['pattern']}")
        yield Problem(here, f"{field}: {rule} (got {_short(instance)})")
    elif kind in ("Constant", "Enum"):
        allowed_values = [details["expected_value"]] if kind == "Constant" else details["options"]
        choices = ", ".join(json.dumps(v) for v in allowed_values)
        if len(path) >= 2 and path[:2] == ("lint", "per_file_ignores"):
            choices = f"a rule name: {', '.join(allowed_values)}"
            yield Problem(
                here,
                f"{field}: unknown rule {_short(instance)}"
                f"{_did_you_mean(instance, allowed_values)}; must be {choices}",
            )
        else:
            guess = _did_you_mean(instance, allowed_values, "; did you mean '{}'?")
            yield Problem(here, f"{field}: must be {choices} (got {_short(instance)}{guess})")
    elif kind in ("Minimum", "Maximum"):
        bound = "at least" if kind == "Minimum" else "at most"
        yield Problem(here, f"{field}: must be {bound} {details['limit']}")
    elif kind == "MinItems":
        yield Problem(here, f"{field}: must list at least {details['limit']} item(s)")
    elif kind == "UniqueItems":
        yield Problem(here, f"{field}: lists the same name more than once")
    elif kind == "PropertyNames":
        inner = details["error"]
        name = inner.instance
        if type(inner.kind).__name__ == "Enum":  # lint.rules: the rule names skillsync knows
            options = inner.kind.as_dict()["options"]
            guess = _did_you_mean(name, options)
            known = ", ".join(options)
            message = f"{field}: unknown rule {_short(name)}{guess}; known rules: {known}"
        else:
            message = f"{field}: name {_short(name)} may only use letters, digits, '.', '_' and '-'"
        yield Problem(doc.locate(file, (*path, name), key=True), message)
    elif kind in ("OneOfNotValid", "OneOfMultipleValid"):
        yield Problem(here, f"{field}: must be a string or a list of strings")
    else:  # a keyword the schemas do not use: the validator's own words, still located
        yield Problem(here, f"{field}: {error.message[:200]}")


def _did_you_mean(given: Any, choices: list[Any], form: str = " (did you mean '{}'?)") -> str:
    """``form`` naming the one of ``choices`` that ``given`` is likely a typo of; empty
    when none is close."""
    if not isinstance(given, str):
        return ""
    close = difflib.get_close_matches(given, [c for c in choices if isinstance(c, str)], n=1)
    return form.format(close[0]) if close else ""


def check(doc: Document, schema: str, file: str) -> list[Problem]:
    """All schema problems of ``doc`` (already parsed) against ``schema``."""
    judge = validator(schema)
    if judge.is_valid(doc.value):
        return []
    problems: set[Problem] = set()
    for error in judge.iter_errors(doc.value):
        problems.update(_problems(error, doc, file))
    return sorted(problems)


_NAME_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def is_valid_name(name: str) -> bool:
    return len(name) <= 64 and _NAME_RE.fullmatch(name) is not None


if __name__ == "__main__":
    print(f"wrote {write_config_schema()}")
