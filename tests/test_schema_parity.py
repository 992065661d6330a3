"""jsonschema-rs, which decides every verdict, agrees with the reference implementation.

python-jsonschema (a test dependency only) is the independent judge, with JSON
Schema's ECMA-262 reading of ``$`` (only at the very end, never before a final
newline) that Python's ``re`` lacks.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync import schemas

names = st.sampled_from(["a", "code-reviewer", "Bad", "a--b", "-a", "x" * 65, "ok\n", ""])
strings = st.one_of(
    names,
    st.text(max_size=12),
    st.sampled_from(["1.0.0", "1.0", "2.0.0-rc.1+b", "01.0.0", "1.0.0\n", "<x>", "a\nb"]),
)
scalars = st.one_of(strings, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(["version", "k"]), scalars, max_size=2),
)

SKILL_KEYS = [
    "name",
    "description",
    "version",
    "instructions",
    "instructions_file",
    "renamed_from",
    "display_name",
    "unknown",
]
MD_KEYS = ["name", "description", "license", "compatibility", "metadata", "allowed-tools", "x"]
CONFIG = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 2, "1", True])},
    optional={
        "skills": st.one_of(st.lists(strings, max_size=2), strings),
        "default_target": strings,
        "targets": st.dictionaries(
            st.sampled_from(["prod", "bad name", "x"]),
            st.dictionaries(
                st.sampled_from(
                    [
                        *("base_url", "api_key_env", "manage", "protect", "parallelism", "other"),
                        *("api", "workspace_id", "anthropic_version", "retain_versions"),
                        *("organization", "project", "promote"),
                    ]
                ),
                st.one_of(
                    values,
                    st.sampled_from(
                        [
                            "https://a.b",
                            "local:x",
                            "ftp://x",
                            "KEY_1",
                            "seed",
                            "anthropic",
                            "openai",
                            "manual",
                        ]
                    ),
                    st.integers(0, 80),
                ),
                max_size=4,
            ),
            max_size=2,
        ),
        "safety": st.dictionaries(
            st.sampled_from(["max_delete_percent", "min_managed", "z"]),
            st.one_of(st.integers(-5, 120), st.floats(0, 100), strings),
            max_size=2,
        ),
        "policy": st.dictionaries(
            st.sampled_from(["version_bump"]), st.sampled_from(["off", "warn", "error", "loud", 1])
        ),
    },
)


@cache
def reference(name: str) -> Any:
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError
    from referencing import Registry, Resource

    def ecma(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)

    def pattern(v: Any, expected: str, instance: Any, schema: Any) -> Any:
        if isinstance(instance, str) and not ecma(expected).search(instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    checker = validators.extend(Draft202012Validator, {"pattern": pattern})
    registry: Registry[Any] = Registry().with_resources(
        (schemas.load_schema(n)["$id"], Resource.from_contents(schemas.load_schema(n)))
        for n in schemas.SCHEMA_FILES
    )
    return checker(schemas.load_schema(name), registry=registry)


def verdicts(schema: str, document: Any) -> tuple[bool, bool]:
    mine = schemas.validator(schema).is_valid(document)
    theirs = not any(True for _ in reference(schema).iter_errors(document))
    return mine, theirs


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(SKILL_KEYS), values, max_size=6))
def test_skill_schema_parity(document: dict[str, Any]) -> None:
    fast, slow = verdicts("skill.schema.json", document)
    assert fast == slow, document


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(MD_KEYS), values, max_size=5))
def test_agent_skill_schema_parity(document: dict[str, Any]) -> None:
    fast, slow = verdicts("agent-skill.schema.json", document)
    assert fast == slow, document


@settings(max_examples=300, deadline=None)
@given(CONFIG)
def test_config_schema_parity(document: dict[str, Any]) -> None:
    fast, slow = verdicts("config.schema.json", document)
    assert fast == slow, document


def test_valid_documents_pass_both() -> None:
    good = {"name": "a", "description": "d", "version": "1.0.0", "instructions": "x"}
    assert verdicts("skill.schema.json", good) == (True, True)
    assert verdicts("skill.schema.json", {**good, "name": "a\n"}) == (False, False)
