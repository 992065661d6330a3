"""``skillsync rules``: the checks of validate, with their default levels."""

from __future__ import annotations

import sys
import textwrap

from skillsync.lint.rules import RULES
from skillsync.render import json_output


def run(*, output_format: str = "text") -> int:
    if output_format == "json":
        json_output.expect(sys.stdout)
        document = [
            {
                "name": r.name,
                "default": r.default,
                "configurable": r.configurable,
                "what": r.what,
                "why": r.why,
            }
            for r in RULES.values()
        ]
        json_output.emit(document, sys.stdout)
        return 0
    width = max(len(name) for name in RULES)
    for rule in RULES.values():
        level = rule.default if rule.configurable else "error (always)"
        sys.stdout.write(f"{rule.name:<{width}}  {level}\n")
        text = f"{rule.what[0].upper()}{rule.what[1:]}: {rule.why}."
        sys.stdout.write(textwrap.indent(textwrap.fill(text, 88), "    ") + "\n")
    sys.stdout.write(
        "\nSet levels in skillsync.yaml: lint: {rules: {RULE: off|warning|error}, "
        "per_file_ignores: {GLOB: [RULE, ...]}}\n"
    )
    return 0
