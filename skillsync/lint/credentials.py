"""Credentials in text, found by high-confidence patterns (rule ``secret``).

Each pattern is a provider's documented key shape: a fixed prefix and a body of
the provider's alphabet. A match counts only when its body looks like a real key
(long enough, letters and digits mixed, not a documented example or a template
such as ``sk-ant-...``, ``<your-key>``, ``${VAR}``): a false positive on a
tutorial teaches people to turn the rule off. What is found is never printed:
callers get its kind, offset and length, and ``redact`` hides it in any text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick


@dataclass(frozen=True)
class Credential:
    kind: str
    start: int
    """Offset in the text scanned."""
    length: int


# (kind, prefix, body): the longer prefixes of one provider come before the shorter ones.
_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("an AWS access key id", "(?:AKIA|ASIA)", "[0-9A-Z]{16}(?![0-9A-Za-z])"),
    ("a GitHub token", "gh[pousr]_", "[A-Za-z0-9]{36,255}(?![A-Za-z0-9])"),
    ("a GitHub token", "github_pat_", "[A-Za-z0-9_]{40,255}(?![A-Za-z0-9_])"),
    ("an Anthropic API key", "sk-ant-", "[A-Za-z0-9_-]{24,}"),
    ("an OpenAI API key", "sk-(?:proj|svcacct|admin)-", "[A-Za-z0-9_-]{24,}"),
    ("an OpenAI API key", "sk-", "[A-Za-z0-9]{32,}(?![A-Za-z0-9_-])"),
    ("a Slack token", "xox[abprs]-", "[A-Za-z0-9-]{10,}"),
    ("a Stripe live key", "[sr]k_live_", "[A-Za-z0-9]{20,}"),
    ("a Google API key", "AIza", "[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
)
_PREFIXES = (
    *("AKIA", "ASIA", "AIza", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    *("sk-", "sk_live_", "rk_live_", "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"),
)
"""Every prefix of ``_TOKENS`` as plain text."""
# perf: one Aho-Corasick pass finds every place a credential could start; the regexes
# then run only there (most texts hold none, and a regex alternation tries every position)
TRIGGERS = (*_PREFIXES, "PRIVATE KEY", "://")
"""Where a credential can stand; a caller that screens a text for more words at once
passes its hits of these to ``found_at``."""
_SCREEN = AhoCorasick(TRIGGERS)
_TOKEN = re.compile(
    "|".join(f"(?P<t{i}>{prefix}(?P<b{i}>{body}))" for i, (_, prefix, body) in enumerate(_TOKENS))
)
_WORD = re.compile(r"[A-Za-z0-9_-]")
"""What may not stand right before a key: it would be part of a longer word."""
_PEM = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?\n([^\n]*)")
_USER_PASSWORD = re.compile(r"[^\s:/@'\"<>]*:([^\s/@'\"<>]+)@[\w.-]")
"""What follows ``scheme://`` in a URL with a password (matched where ``://`` stands); the
user may be empty (``redis://:password@host``)."""
_SCHEME_END = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*\Z")

_PLACEHOLDER_WORDS = (
    "example",
    "your",
    "xxxx",
    "placeholder",
    "dummy",
    "sample",
    "fake",
    "redacted",
    "changeme",
    "replace",
    "insert",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
)
_PLACEHOLDER_PASSWORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "changeme", "xxx", "user", "pw", "token"}
)


def _looks_real(body: str, *, one_case: bool = False) -> bool:
    """A key's body, past its prefix: random-looking (varied characters; digits, or both
    cases unless the alphabet has one case), no template or example word."""
    lowered = body.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return False
    if "..." in body or "…" in body or len(set(body)) < min(10, len(body) // 2):
        return False
    mixed = any(c.isdigit() for c in body) or (body != lowered and body != body.upper())
    return one_case or mixed


def _real_password(password: str) -> bool:
    if password[0] in "$<{%*[(" or password.lower() in _PLACEHOLDER_PASSWORDS:
        return False
    if "..." in password or "…" in password or len(set(password)) < 3:
        return False
    return not any(word in password.lower() for word in _PLACEHOLDER_WORDS)


def find(text: str) -> Iterator[Credential]:
    """Every credential in ``text``, in order of offset."""
    found = _SCREEN.find_matches_as_indexes(text, overlapping=True)
    hits = [(index, start) for index, start, _ in found]
    return iter(found_at(text, hits))


def found_at(text: str, hits: list[tuple[int, int]]) -> list[Credential]:
    """The credentials of ``text`` where its screen found ``TRIGGERS`` (index, offset)."""
    found: list[Credential] = []
    pem = False
    for index, start in hits:
        if index < len(_PREFIXES):
            credential = _token_at(text, start)
            if credential is not None:
                found.append(credential)
        elif index == len(_PREFIXES):
            pem = True
        else:
            credential = _url_password_at(text, start)
            if credential is not None:
                found.append(credential)
    if pem:
        for match in _PEM.finditer(text):
            first = match.group(1).strip()
            if len(first) >= 16 and re.fullmatch(r"[A-Za-z0-9+/=]+", first):
                end = text.find("-----END", match.end())
                length = (end if end >= 0 else match.end()) - match.start()
                found.append(Credential("a PEM private key", match.start(), length))
    found.sort(key=lambda c: c.start)
    return found


def _token_at(text: str, start: int) -> Credential | None:
    if start and _WORD.match(text, start - 1):
        return None  # part of a longer word
    match = _TOKEN.match(text, start)
    if match is None:
        return None
    index = int((match.lastgroup or "t0")[1:])
    one_case = index == 0  # AWS key ids are upper case and digits only
    if not _looks_real(match.group(f"b{index}"), one_case=one_case):
        return None
    return Credential(_TOKENS[index][0], start, match.end() - start)


def _url_password_at(text: str, at: int) -> Credential | None:
    """The password of a URL whose ``://`` stands at ``at``, if it has a real one."""
    match = _USER_PASSWORD.match(text, at + 3)
    if match and _SCHEME_END.search(text, max(0, at - 32), at) and _real_password(match[1]):
        return Credential("a password in a URL", match.start(1), len(match[1]))
    return None


def describe(credential: Credential, text: str) -> str:
    """What a finding may say of a credential: its kind, length and first four characters."""
    shown = text[credential.start : credential.start + min(4, credential.length // 4)]
    return f"{credential.kind} ({credential.length} characters, starting '{shown}')"


def redact(text: str) -> str:
    """``text`` with every credential replaced by its kind's mark."""
    if not text:
        return text
    found = list(find(text))
    for credential in reversed(found):
        end = credential.start + credential.length
        text = text[: credential.start] + "[redacted credential]" + text[end:]
    return text
