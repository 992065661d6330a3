"""A dialect is one record of ``dialects.DIALECTS`` and its own modules: nothing else in
the package names it, and what the config schema says of targets comes from the table."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from skillsync import dialects, schemas

PACKAGE = Path(dialects.__file__).parent
TABLE = "skillsync.dialects"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _owners(module: str) -> set[str]:
    return {d.name for d in dialects.DIALECTS.values() if module in d.own_modules()}


def _named(path: Path) -> list[tuple[int, str, set[str]]]:
    """(line, what, whose) for each dialect name written as a string, and each import of
    a dialect's own module, in one source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and node.value in dialects.NAMES:
            found.append((node.lineno, f"the string {node.value!r}", {node.value}))
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        for module in modules:
            if _owners(module):
                whose = _owners(module)
                found.append((node.lineno, f"an import of {module} ({', '.join(whose)})", whose))
    return found


def test_no_module_outside_a_dialect_names_it() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        if module == TABLE:
            continue
        mine = _owners(module)
        for line, what, whose in _named(path):
            if not whose & mine:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what}")
    assert offenders == []


def test_the_measure_sees_a_dialect_named_elsewhere(tmp_path: Path) -> None:
    planted = tmp_path / "x.py"
    planted.write_text(
        'from skillsync.remote.openai import OpenAIRemote\nif api == "openai":\n    pass\n'
    )
    assert _named(planted) == [
        (1, "an import of skillsync.remote.openai (openai)", {"openai"}),
        (2, "the string 'openai'", {"openai"}),
    ]


def test_every_module_a_record_names_exists() -> None:
    for record in dialects.DIALECTS.values():
        for module in record.own_modules():
            assert (PACKAGE.parent / (module.replace(".", "/") + ".py")).is_file(), module
        assert record.remote_class().__name__ in record.remote


def test_the_config_schema_file_is_the_table_s() -> None:
    on_disk = json.loads((schemas.schema_dir() / "config.schema.json").read_text())
    assert on_disk == schemas.load_schema("config.schema.json"), (
        "schemas/config.schema.json is stale: run python -m skillsync.schemas"
    )
    target = on_disk["$defs"]["target"]["properties"]
    assert target["api"]["enum"] == ["anthropic", "openai", "seed", "directory"]
    for record in dialects.DIALECTS.values():
        assert set(record.keys) <= set(target)


@pytest.mark.parametrize("record", dialects.DIALECTS.values(), ids=dialects.NAMES)
def test_a_record_is_consistent(record: dialects.Dialect) -> None:
    assert set(record.required) <= set(record.keys)
    if record.http:
        assert {"base_url", "api_key_env"} <= set(record.keys)
        assert record.default_base_url.startswith("https://")
    else:
        assert not {"base_url", "api_key_env"} & set(record.keys)
    assert (record.store is None) == (record.front is None)
