"""A compiled yes/no validator for the subset of JSON Schema that schemas/ uses.

Validating 10,000 skill files with jsonschema alone costs seconds; this turns a
schema into plain Python source once (one function per schema node, as
fastjsonschema does), so checking a valid document costs a few microseconds.
Only when it says "invalid" does jsonschema run, to produce the precise
messages. The schema files stay the single source of truth: a keyword this
compiler does not know is an error at compile time, and a test holds the two
validators to the same verdicts.

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
_TYPES = {
    "string": "isinstance(v, str)",
    "object": "isinstance(v, dict)",
    "array": "isinstance(v, list)",
    "boolean": "isinstance(v, bool)",
    "null": "v is None",
    "number": "(isinstance(v, (int, float)) and not isinstance(v, bool))",
    "integer": "((isinstance(v, int) and not isinstance(v, bool))"
    " or (isinstance(v, float) and v.is_integer()))",
}


@cache
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


class Compiler:
    def __init__(self, resolve: Callable[[str, str], dict[str, Any]]) -> None:
        """``resolve(base_id, ref)`` returns the schema a ``$ref`` points at."""
        self.resolve = resolve
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.names: dict[int, str] = {}

    def compile(self, schema: dict[str, Any] | bool, base: str) -> Check:
        entry = self._function(schema, base)
        namespace = dict(self.constants)
        exec("\n".join(self.lines), namespace)  # our own generated source only
        check: Check = namespace[entry]
        return check

    def _constant(self, value: Any) -> str:
        name = f"c{len(self.constants)}"
        self.constants[name] = value
        return name

    def _function(self, schema: dict[str, Any] | bool, base: str) -> str:
        if id(schema) in self.names:
            return self.names[id(schema)]
        name = self.names[id(schema)] = f"f{len(self.names)}"
        body: list[str] = []
        if schema is False:
            body.append("return False")
        elif isinstance(schema, dict):
            base = schema.get("$id", base)
            for keyword, argument in schema.items():
                if keyword not in ANNOTATIONS:
                    body += self._keyword(keyword, argument, schema, base)
        self.lines += [f"def {name}(v):", *(f"    {line}" for line in body), "    return True"]
        return name

    def _keyword(self, keyword: str, arg: Any, schema: dict[str, Any], base: str) -> list[str]:
        fail = "return False"
        if keyword == "$ref":
            return [f"if not {self._function(self.resolve(base, arg), base)}(v): {fail}"]
        if keyword == "type":
            names = [arg] if isinstance(arg, str) else list(arg)
            if any(n not in _TYPES for n in names):
                raise ValueError(f"unknown type in {arg!r}")
            return [f"if not ({' or '.join(_TYPES[n] for n in names)}): {fail}"]
        if keyword == "properties":
            lines = ["if isinstance(v, dict):"]
            for prop, sub in arg.items():
                key, check = self._constant(prop), self._function(sub, base)
                lines.append(f"    if {key} in v and not {check}(v[{key}]): {fail}")
            return lines
        if keyword == "required":
            keys = self._constant(tuple(arg))
            return [f"if isinstance(v, dict) and not all(k in v for k in {keys}): {fail}"]
        if keyword == "additionalProperties":
            known = self._constant(frozenset(schema.get("properties", {})))
            if arg is False:
                return [f"if isinstance(v, dict) and not {known}.issuperset(v): {fail}"]
            check = self._function(arg, base)
            return [
                "if isinstance(v, dict):",
                "    for k, x in v.items():",
                f"        if k not in {known} and not {check}(x): {fail}",
            ]
        if keyword == "propertyNames":
            check = self._function(arg, base)
            return [f"if isinstance(v, dict) and not all({check}(k) for k in v): {fail}"]
        if keyword == "items":
            check = self._function(arg, base)
            return [f"if isinstance(v, list) and not all({check}(x) for x in v): {fail}"]
        if keyword in ("minLength", "maxLength", "minItems"):
            kind = "str" if keyword != "minItems" else "list"
            op = ">" if keyword == "maxLength" else "<"
            return [f"if isinstance(v, {kind}) and len(v) {op} {int(arg)}: {fail}"]
        if keyword == "uniqueItems":
            if not arg:
                return []
            return [f"if isinstance(v, list) and len({{repr(x) for x in v}}) != len(v): {fail}"]
        if keyword == "pattern":
            regex = self._constant(ecma_pattern(arg))
            return [f"if isinstance(v, str) and {regex}.search(v) is None: {fail}"]
        if keyword in ("minimum", "maximum"):
            op = "<" if keyword == "minimum" else ">"
            bound = self._constant(arg)
            return [f"if {_TYPES['number']} and v {op} {bound}: {fail}"]
        if keyword in ("enum", "const"):
            options = self._constant(tuple(arg) if keyword == "enum" else (arg,))
            return [f"if not any(v == o and type(v) is type(o) for o in {options}): {fail}"]
        if keyword == "oneOf":
            checks = ", ".join(self._function(sub, base) for sub in arg)
            return [f"if sum(1 for f in ({checks},) if f(v)) != 1: {fail}"]
        raise ValueError(f"fastcheck does not know the JSON Schema keyword {keyword!r}")
