"""Rule ``remote-exec``: a download or decoded content run unseen, found in one command.

A command is a line of code, joined with the lines around it where one ends with a
backslash. It fires on output piped into a shell or an interpreter (past ``sudo``,
``env A=b`` and the like), on an interpreter given a download by substitution
(``bash <(curl ...)``, ``python -c "$(curl ...)"``), and on PowerShell's
``iex (iwr ...)``; never on a download saved to a file or piped to ``jq`` or ``tar``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

_DOWNLOADER = re.compile(
    r"(?<![\w.$/-])(curl|wget|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)(?![\w-])", re.I
)
_DECODER = re.compile(r"(?<![\w.-])base64\s+(?:-\w*d\w*|--decode)(?![\w-])")
_INTERPRETERS = frozenset(
    {
        *("sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "osascript"),
        *("python", "python2", "python3", "perl", "ruby", "node", "deno", "php"),
        *("pwsh", "powershell", "iex", "invoke-expression", "source", "."),
    }
)
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "time"})
_SUBSTITUTED = re.compile(
    r"(?<![\w.-])(?P<run>sh|bash|zsh|dash|ksh|fish|python[0-9.]*|perl|ruby|node|php|pwsh|"
    r"powershell|eval|source|\.)(?:\s+-{1,2}[\w-]+)*\s+[\"']?(?:<\(|\$\()\s*"
    r"(?:sudo\s+)?(?:curl|wget|iwr|irm|base64\s+-\w*d)(?![\w-])",
    re.I,
)
_PS_EXPRESSION = re.compile(
    r"(?<![\w.-])(?P<run>iex|Invoke-Expression)\s*\(+\s*(?:iwr|irm|Invoke-WebRequest|"
    r"Invoke-RestMethod|New-Object\s+(?:System\.)?Net\.WebClient)",
    re.I,
)
_STAGE_END = re.compile(r"\|\||&&|;|\)\s*$|\n")


def _stage_command(stage: str) -> str:
    """The program a pipeline stage runs, past ``sudo -E``, ``env A=b`` and the like."""
    words = stage.split()
    while words:
        word = words[0]
        if word in _WRAPPERS or word.startswith("-") or ("=" in word and word[0] != "="):
            words.pop(0)
            continue
        return word.rsplit("/", 1)[-1].lower()
    return ""


def _piped_into_interpreter(line: str, start: int) -> str | None:
    """The interpreter that the pipeline from ``start`` feeds, if it feeds one."""
    rest = line[start:]
    end = _STAGE_END.search(rest)
    pipeline = rest[: end.start()] if end else rest
    for stage in pipeline.split("|")[1:]:
        command = _stage_command(stage)
        if command in _INTERPRETERS or re.fullmatch(r"python[0-9.]*", command):
            return command
    return None


def findings(line: str) -> Iterator[tuple[int, str]]:
    """(column offset, message) of each download or decoded content run unseen."""
    seen: set[int] = set()
    for pattern in (_SUBSTITUTED, _PS_EXPRESSION):
        for match in pattern.finditer(line):
            seen.add(match.start("run"))
            yield (
                match.start("run"),
                f"'{match.group('run')}' runs what a download fetches, unseen; save the file, "
                "review or pin it (checksum), then run it",
            )
    for pattern, what in ((_DOWNLOADER, "a download"), (_DECODER, "decoded content")):
        for match in pattern.finditer(line):
            interpreter = _piped_into_interpreter(line, match.end())
            if interpreter is not None and match.start() not in seen:
                yield (
                    match.start(),
                    f"{what} is piped into '{interpreter}' and runs unseen; save the file, "
                    "review or pin it (checksum), then run it",
                )


def _continued(text: str) -> bool:
    return text.rstrip().endswith("\\")


def commands(
    code: dict[int, str], names_a_download: Callable[[str], bool]
) -> Iterator[tuple[list[tuple[int, str]], str]]:
    """The commands of the code lines (index -> line) that may download: a line, joined
    with those around it where a line ends with a backslash (a command continued)."""
    done = -1
    for index in sorted(code):
        if index <= done or not names_a_download(code[index]):
            continue
        first = index
        while first - 1 in code and first - 1 > done and _continued(code[first - 1]):
            first -= 1
        last = index
        while last + 1 in code and _continued(code[last]):
            last += 1
        done = last
        parts = [(i, code[i]) for i in range(first, last + 1)]
        yield parts, " ".join(t.rstrip().removesuffix("\\") for _, t in parts)


def locate(parts: list[tuple[int, str]], offset: int) -> tuple[int, int]:
    """(index of the line, column offset in it) of an offset into the joined line."""
    for number, text in parts:
        width = len(text.rstrip().removesuffix("\\")) + 1
        if offset < width:
            return number, offset
        offset -= width
    return parts[-1][0], 0
