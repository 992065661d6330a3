"""Characters a reader cannot see, or that reorder what is seen (rule ``hidden-unicode``).

A model reads every code point; a reviewer sees only what renders. The tag block
(U+E0000-U+E007F) can spell whole ASCII sentences invisibly, bidi controls make
text read differently from how it is stored, zero-width characters split words a
filter looks for. Legitimate uses never fire: a byte-order mark as a file's first
character, U+200D joining an emoji sequence, a variation selector after an emoji or
a CJK ideograph, tag characters inside an emoji subdivision flag, and
right-to-left scripts, which need no control character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_SUSPECT = re.compile(
    "[\U000e0000-\U000e007f\u202a-\u202e\u2066-\u2069\u200b\u200c\u2060\ufeff"
    "\ufe00-\ufe0f\U000e0100-\U000e01ef]"
)
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
_NAMES = {0xFEFF: "ZERO WIDTH NO-BREAK SPACE"}


@dataclass(frozen=True)
class Hidden:
    start: int
    """Offset in the text scanned."""
    length: int
    what: str
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; for a tag run, also the ASCII it spells."""


def _name(char: str) -> str:
    code = ord(char)
    return f"U+{code:04X} {_NAMES.get(code) or unicodedata.name(char, 'UNNAMED')}"


_EMOJI_BASES_NOT_SYMBOLS = frozenset("0123456789#*\u2139\u203c\u2049\u3030\u303d")
"""Keycap bases and the emoji with a variation sequence that Unicode files as letters or
punctuation (INFORMATION SOURCE, DOUBLE EXCLAMATION MARK, WAVY DASH...)."""


def _emoji_base(char: str) -> bool:
    """A character a variation selector may follow: a symbol or emoji, a keycap's base."""
    return unicodedata.category(char) in ("So", "Sm", "Sk") or char in _EMOJI_BASES_NOT_SYMBOLS


def _ideograph(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK ", "HANGUL"))


def _legitimate(text: str, start: int, code: int) -> bool:
    """A byte-order mark that starts the text, a variation selector after an emoji or an
    ideograph."""
    if code == 0xFEFF:
        return start == 0
    before = text[start - 1] if start else ""
    if 0xFE00 <= code <= 0xFE0F:
        return bool(before) and _emoji_base(before)
    if 0xE0100 <= code <= 0xE01EF:
        return bool(before) and _ideograph(before)
    return False


def find(text: str) -> Iterator[Hidden]:
    """Every hidden character (or tag run) of ``text``, in order of offset."""
    if text.isascii():
        return
    position = 0
    while True:
        match = _SUSPECT.search(text, position)
        if match is None:
            return
        start = match.start()
        char = text[start]
        code = ord(char)
        position = start + 1
        if 0xE0000 <= code <= 0xE007F:
            run = _TAGS.match(text, start)
            assert run is not None
            position = run.end()
            tags = run.group(0)
            if text[start - 1 : start] == _BLACK_FLAG and tags.endswith(_CANCEL_TAG):
                continue  # an emoji subdivision flag (England, Scotland, Wales)
            spelled = "".join(
                chr(ord(t) - 0xE0000) for t in tags if 0x20 <= ord(t) - 0xE0000 < 0x7F
            )
            what = f"{len(tags)} tag character(s) U+{code:04X}..., spelling '{spelled}'"
            yield Hidden(start, len(tags), what)
        elif not _legitimate(text, start, code):
            yield Hidden(start, 1, _name(char))
