"""Safe YAML reading that remembers where every key and value came from.

The C parser (libyaml) produces events; this module builds plain Python values
from them and records the line and column of each key and value. Building from
events (instead of PyYAML's composer) lets it refuse what a skill file never
needs and an attacker could abuse: anchors and aliases (billion-laughs memory
bombs), duplicate keys (silently dropped data), deep nesting and several
documents in one file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from skillsync.model import Location

_Parser: Any
try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.loader import SafeLoader as _Parser

# One resolver and one constructor serve every file: building PyYAML's Loader
# (parser + composer + constructor + resolver) per file costs more than
# parsing a small skill file.
_RESOLVER: Any = yaml.resolver.Resolver()
_CONSTRUCTOR: Any = yaml.constructor.SafeConstructor()

MAX_DEPTH = 32

Path_ = tuple[str | int, ...]


class YAMLProblem(Exception):
    """The text is not a YAML document skillsync accepts."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class Document:
    """A parsed YAML document with the position of each value and key.

    Positions are 1-based ``(line, col)``; ``keys`` holds the position of the
    key that introduces the value at the same path.
    """

    value: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of the value (or its key) at ``path``, else of its nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def locate(self, file: str, path: Path_, *, key: bool = False) -> Location:
        line, col = self.where(path, key=key)
        return Location(file, line, col)


def _pos(mark: Any, line_offset: int) -> tuple[int, int]:
    return (mark.line + 1 + line_offset, mark.column + 1)


class _Builder:
    def __init__(self, text: str, line_offset: int) -> None:
        self.parser = _Parser(text)
        self.offset = line_offset
        self.doc = Document(value=None)
        self.next: Callable[[], Any] = self.parser.get_event

    def fail(self, message: str, mark: Any) -> YAMLProblem:
        line, col = _pos(mark, self.offset)
        return YAMLProblem(message, line, col)

    def build(self) -> Document:
        try:
            self.next()  # StreamStart
            event = self.next()
            if isinstance(event, yaml.StreamEndEvent):
                return self.doc
            # DocumentStart
            self.doc.value = self.node(self.next(), (), 0)
            self.next()  # DocumentEnd
            event = self.next()
            if not isinstance(event, yaml.StreamEndEvent):
                raise self.fail(
                    "the file holds more than one YAML document; keep one per file",
                    event.start_mark,
                )
            return self.doc
        finally:
            dispose = getattr(self.parser, "dispose", None)
            if dispose is not None:
                dispose()

    def node(self, event: Any, path: Path_, depth: int) -> Any:
        kind = type(event)
        if kind is yaml.AliasEvent:
            raise self.fail(
                f"YAML aliases (*{event.anchor}) are not allowed; write the value out",
                event.start_mark,
            )
        if event.anchor:
            raise self.fail(
                f"YAML anchors (&{event.anchor}) are not allowed; write the value out",
                event.start_mark,
            )
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        mark: Any = event.start_mark
        self.doc.values[path] = (mark.line + 1 + self.offset, mark.column + 1)
        if kind is yaml.ScalarEvent:
            return self.scalar(event)
        if kind is yaml.SequenceStartEvent:
            items: list[Any] = []
            event = self.next()
            while type(event) is not yaml.SequenceEndEvent:
                items.append(self.node(event, (*path, len(items)), depth + 1))
                event = self.next()
            return items
        mapping: dict[str, Any] = {}
        keys = self.doc.keys
        event = self.next()
        while type(event) is not yaml.MappingEndEvent:
            if type(event) is not yaml.ScalarEvent:
                raise self.fail("mapping keys must be plain strings", event.start_mark)
            if event.anchor:
                raise self.fail(
                    f"YAML anchors (&{event.anchor}) are not allowed; write the value out",
                    event.start_mark,
                )
            key = self.scalar(event)
            if not isinstance(key, str):
                key = event.value
            mark = event.start_mark
            if key in mapping:
                first = keys[(*path, key)]
                raise self.fail(
                    f"duplicate key '{key}' (first defined at line {first[0]}); keep one of them",
                    mark,
                )
            keys[(*path, key)] = (mark.line + 1 + self.offset, mark.column + 1)
            mapping[key] = self.node(self.next(), (*path, key), depth + 1)
            event = self.next()
        return mapping

    def scalar(self, event: Any) -> Any:
        value = event.value
        if event.tag not in (None, "!"):
            tag = event.tag
            if not tag.startswith("tag:yaml.org,2002:") or tag[18:] not in _PLAIN_TAGS:
                raise self.fail(f"YAML tag {tag} is not allowed", event.start_mark)
        elif not event.implicit[0]:
            return value  # quoted or block scalars without a tag are strings
        else:
            tag = _resolved.get(value) if len(value) <= 32 else None
            if tag is None:
                tag = _RESOLVER.resolve(yaml.ScalarNode, value, event.implicit)
                if len(value) <= 32 and len(_resolved) < 10_000:
                    _resolved[value] = tag
        if tag == "tag:yaml.org,2002:str" or tag[18:] not in _PLAIN_TAGS:
            return value  # a plain date or timestamp stays the text it is (version: 2024-01-01)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
        except yaml.YAMLError as exc:
            raise self.fail(f"bad value {value!r}: {exc}", event.start_mark) from None


_PLAIN_TAGS = frozenset({"str", "int", "float", "bool", "null"})
_resolved: dict[str, str] = {}
"""Tags of short plain scalars already resolved (keys and versions repeat across files)."""


def parse(text: str, *, line_offset: int = 0) -> Document:
    """Parse one YAML document. Raises YAMLProblem with a 1-based position."""
    builder = _Builder(text, line_offset)
    try:
        return builder.build()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark, line_offset) if mark else (1 + line_offset, 1)
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            message = f"{exc.context}: {exc.problem}"
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            message += " (a tab: YAML indents with spaces only)"
        raise YAMLProblem(f"YAML syntax error: {message}", line, col) from None
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors are caught earlier
        raise YAMLProblem(f"YAML error: {exc}", 1 + line_offset, 1) from None


MAX_FILE_BYTES = 1024 * 1024


class NotRegularFile(OSError):
    """A FIFO, socket or device where a file was expected: never read (a FIFO would
    block the read until some other process wrote to it)."""


def open_regular(path: Any) -> int:
    """A file descriptor open for reading ``path``, a regular file or a folder (reading a
    folder then fails with IsADirectoryError). O_NONBLOCK: opening a FIFO returns at once
    instead of waiting for a writer, and NotRegularFile refuses it, a socket or a device."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        os.close(fd)
        raise NotRegularFile(f"not a regular file: {path}")
    return fd


def read_source(path: Any) -> str:
    """Read a skill or config file as UTF-8, refusing what skillsync never accepts.

    Raises YAMLProblem (with a position) for: larger than 1 MiB, a byte order
    mark, bytes that are not UTF-8. ``path`` is a path (str or ``pathlib.Path``).
    OS errors (missing file, a folder, permission denied) propagate, and
    NotRegularFile for a FIFO, socket or device.
    """
    # Plain os.open/os.read: a file object's buffering costs more than it saves here.
    fd = open_regular(path)
    try:
        chunks = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            total = os.fstat(fd).st_size
            raise YAMLProblem(
                f"file is {total:,} bytes, over the 1 MiB limit; split it or shorten it", 1, 1
            )
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if data.startswith(b"\xef\xbb\xbf"):
        raise YAMLProblem("file starts with a UTF-8 byte order mark; save it without BOM", 1, 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YAMLProblem(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            line,
            col,
        ) from None
