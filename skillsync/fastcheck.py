"""A compiled yes/no validator for the subset of JSON Schema that schemas/ uses.

Validating 10,000 skill files with jsonschema alone costs seconds; this turns a
schema into nested closures once, so checking a valid document is a handful of
Python calls. Only when it says "invalid" does jsonschema run, to produce the
precise messages. The schema files stay the single source of truth: a keyword
this compiler does not know is an error at compile time, and a test holds the
two validators to the same verdicts.

Patterns follow ECMA-262 (JSON Schema's dialect) in one respect Python's ``re``
does not: ``$`` matches only at the very end, never before a final newline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

Check = Callable[[Any], bool]
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "title", "description", "examples", "default", "$comment"}
)


@cache
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "null":
        return value is None
    raise ValueError(f"unknown type {name!r}")


class Compiler:
    def __init__(self, resolve: Callable[[str, str], dict[str, Any]]) -> None:
        """``resolve(base_id, ref)`` returns the schema a ``$ref`` points at."""
        self.resolve = resolve

    def compile(self, schema: dict[str, Any] | bool, base: str) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        base = schema.get("$id", base)
        checks: list[Check] = []
        for keyword, argument in schema.items():
            if keyword in ANNOTATIONS:
                continue
            checks.append(self._keyword(keyword, argument, schema, base))
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(check(value) for check in checks)

    def _keyword(self, keyword: str, arg: Any, schema: dict[str, Any], base: str) -> Check:
        if keyword == "$ref":
            target = self.resolve(base, arg)
            compiled: list[Check] = []

            def ref(value: Any) -> bool:  # compiled on first use: refs may be recursive
                if not compiled:
                    compiled.append(self.compile(target, base))
                return compiled[0](value)

            return ref
        if keyword == "type":
            names = [arg] if isinstance(arg, str) else list(arg)
            return lambda value: any(_is_type(value, n) for n in names)
        if keyword == "properties":
            props = {name: self.compile(sub, base) for name, sub in arg.items()}
            return lambda value: (
                not isinstance(value, dict)
                or all(check(value[name]) for name, check in props.items() if name in value)
            )
        if keyword == "required":
            return lambda value: not isinstance(value, dict) or all(k in value for k in arg)
        if keyword == "additionalProperties":
            known = frozenset(schema.get("properties", {}))
            extra = self.compile(arg, base)
            return lambda value: (
                not isinstance(value, dict)
                or all(extra(v) for k, v in value.items() if k not in known)
            )
        if keyword == "propertyNames":
            key_check = self.compile(arg, base)
            return lambda value: not isinstance(value, dict) or all(key_check(k) for k in value)
        if keyword == "items":
            item = self.compile(arg, base)
            return lambda value: not isinstance(value, list) or all(item(v) for v in value)
        if keyword in ("minLength", "maxLength"):
            low = keyword == "minLength"
            return lambda value: (
                not isinstance(value, str) or (len(value) >= arg if low else len(value) <= arg)
            )
        if keyword == "minItems":
            return lambda value: not isinstance(value, list) or len(value) >= arg
        if keyword == "uniqueItems":
            return lambda value: (
                not (arg and isinstance(value, list)) or len({repr(v) for v in value}) == len(value)
            )
        if keyword == "pattern":
            regex = ecma_pattern(arg)
            return lambda value: not isinstance(value, str) or regex.search(value) is not None
        if keyword in ("minimum", "maximum"):
            low = keyword == "minimum"
            return lambda value: (
                not _is_type(value, "number") or (value >= arg if low else value <= arg)
            )
        if keyword == "enum":
            return lambda value: any(
                value == option and type(value) is type(option) for option in arg
            )
        if keyword == "const":
            return lambda value: value == arg and type(value) is type(arg)
        if keyword == "oneOf":
            options = [self.compile(sub, base) for sub in arg]
            return lambda value: sum(1 for option in options if option(value)) == 1
        raise ValueError(f"fastcheck does not know the JSON Schema keyword {keyword!r}")
