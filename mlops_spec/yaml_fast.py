"""The fast path of :mod:`mlops_spec.yamlio`: libyaml's C parser for the plain YAML a spec is
written in, giving the same values and positions as the round-trip reader, or nothing.

It reads the parser's events (never its recursive composer, so no input can exhaust the C
stack) and builds plain values with ruamel's YAML 1.2 rules for the scalars it accepts. Anything
else -- a tag, anchor, alias, directive, tab, backslash, line-folded or block scalar, a scalar
YAML 1.2 reads as a number, date or merge key in other than the plainest spelling, a non-string
or duplicate key, several documents, nesting or a node count past the bounds, any syntax error
-- returns ``None``, and the caller reads the file with ruamel, which gives every error message
and every special rule exactly as before. ``tests/spec/test_yaml_fast.py`` checks that both
readers agree on every spec file of the repository and on the edge cases.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: ruamel reads every file
    CParser = None

from mlops_spec.yaml_document import MAX_DEPTH, MAX_NODES, Document, Loc, Position, position_at

_DECLINED_CHARACTERS = "\t\r\\\x85\u2028\u2029\ufeff"
"""Characters the fast path leaves to ruamel: tabs (ruamel's messages about them), carriage
returns and Unicode line breaks (line numbering), backslashes (escapes), a BOM inside the
text."""


def _declined(text: str) -> bool:
    """``text`` holds one of ``_DECLINED_CHARACTERS`` or a directive (a line starting with
    ``%``: ``%YAML 1.1`` changes the resolution rules)."""
    return (
        any(character in text for character in _DECLINED_CHARACTERS)
        or text.startswith("%")
        or "\n%" in text
    )


_NUMERIC = re.compile(
    r"""[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?
     :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""",
    re.VERBOSE,
)
"""ruamel's YAML 1.2 int, float and timestamp resolvers (ruamel/yaml/resolver.py), joined: a
plain scalar starting with a digit, sign or dot that matches none of them is a string."""

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_SPECIAL_FIRST = frozenset("tTfFnN~<=-+.0123456789")
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}


class _Declined(Exception):
    """The input needs the round-trip reader."""


def _plain(value: str) -> Any:
    """A plain scalar's value under ruamel's YAML 1.2 rules, or _Declined."""
    if not value:
        raise _Declined  # ruamel places an empty value at the next token, after comments
    if value[0] not in _SPECIAL_FIRST:
        return value
    if value in _WORDS:
        return _WORDS[value]
    if value in ("<<", "="):
        raise _Declined
    if _NUMERIC.fullmatch(value) is None:
        return value
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    raise _Declined


def _scalar(event: Any) -> Any:
    if event.anchor is not None or event.tag is not None:
        raise _Declined
    if event.start_mark.line != event.end_mark.line and event.value:
        raise _Declined  # a folded multi-line scalar
    if event.style == "":
        return _plain(event.value)
    if event.style in ("'", '"'):
        return event.value
    raise _Declined  # a literal or folded block scalar


class _Builder:
    """Plain values and positions from the parser's events (iteratively, depth bounded)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Loc, Position] = {}
        self.keys: dict[Loc, Position] = {}
        self.log: list[tuple[Loc, Position, Position]] = []
        """Every node placed inside an anchored collection, in document order: (loc, key
        position, value position) -- what an alias of it copies."""
        self.anchored = 0
        """How many anchored collections are open (nodes are logged while any is)."""
        self.nodes = 0
        self.stack: list[list[Any]] = []
        """Each open collection: [container, loc, pending key's loc, anchor, log index,
        position]."""
        self.anchors: dict[str, tuple[Loc, Any, Position, list[Any]]] = {}
        self.root: Any = None

    def position(self, event: Any) -> Position:
        mark = event.start_mark
        return position_at(self.file, mark.line + 1, mark.column + 1)

    def _count(self, loc: Loc) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES or len(loc) > MAX_DEPTH:
            raise _Declined  # ruamel's walker reports it

    def node(self, position: Position, value: Any) -> Loc:
        """Place a new node (a key, a scalar value or a new container); return its loc."""
        if not self.stack:
            self._count(())
            self.root = value
            return ()
        frame = self.stack[-1]
        container, loc, pending = frame[0], frame[1], frame[2]
        if isinstance(container, dict):
            if pending is None:  # a key
                if not isinstance(value, str) or value in container:
                    raise _Declined
                frame[2] = child = (*loc, value)
                self.keys[child] = position
                return child
            frame[2] = None
            self.values[pending] = position
            self.nodes += 1
            if self.nodes > MAX_NODES or len(pending) > MAX_DEPTH:
                raise _Declined  # ruamel's walker reports it
            if self.anchored:
                self.log.append((pending, self.keys[pending], position))
            container[pending[-1]] = value
            return pending
        child = (*loc, len(container))
        self.values[child] = self.keys[child] = position
        self._count(child)
        if self.anchored:
            self.log.append((child, position, position))
        container.append(value)
        return child

    def open(self, event: Any, container: dict[str, Any] | list[Any]) -> None:
        if event.tag is not None:
            raise _Declined
        if self.stack and isinstance(self.stack[-1][0], dict) and self.stack[-1][2] is None:
            raise _Declined  # a collection as a mapping key
        position = self.position(event)
        loc = self.node(position, container)
        self.stack.append([container, loc, None, event.anchor, len(self.log), position])
        if event.anchor is not None:
            self.anchored += 1

    def close(self) -> None:
        container, loc, _, anchor, start, position = self.stack.pop()
        if anchor is not None:
            self.anchored -= 1
            if anchor in self.anchors:
                raise _Declined  # an anchor defined again
            self.anchors[anchor] = (loc, container, position, self.log[start:])

    def alias(self, event: Any) -> None:
        """An alias: a copy of the anchored collection, with the anchor's positions (as the
        round-trip reader gives the anchored node itself)."""
        if event.anchor not in self.anchors:
            raise _Declined  # unknown, or still open (recursive)
        anchor_loc, value, position, entries = self.anchors[event.anchor]
        loc = self.node(position, _copy(value))
        cut = len(anchor_loc)
        for sub_loc, key_position, value_position in entries:
            child = loc + sub_loc[cut:]
            self._count(child)
            self.keys[child] = key_position
            self.values[child] = value_position
            if self.anchored:
                self.log.append((child, key_position, value_position))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _opens_with_brace(text: str, mark: Any) -> bool:
    """Whether the flow mapping starting at ``mark`` is written with a ``{`` (libyaml's marks
    index the text by character)."""
    return text[mark.index : mark.index + 1] == "{"


def load(text: str, file: str) -> Document | None:
    """The document ``text`` holds, as :func:`mlops_spec.yamlio.parse` would return it, or
    None when only the round-trip reader can say (see the module's docstring)."""
    if CParser is None or _declined(text):
        return None
    builder = _Builder(file)
    node = builder.node
    documents = 0
    parser = None
    try:
        parser = CParser(text)
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                mark = event.start_mark
                node(position_at(file, mark.line + 1, mark.column + 1), _scalar(event))
            elif kind is MappingStartEvent:
                if event.flow_style and not _opens_with_brace(text, event.start_mark):
                    return None  # ["k":v]: a one-pair mapping to libyaml, an error to ruamel
                builder.open(event, {})
            elif kind is SequenceStartEvent:
                builder.open(event, [])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                builder.close()
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1 or event.version is not None or event.tags:
                    return None
            elif kind is AliasEvent:
                builder.alias(event)
            elif kind is StreamEndEvent:
                break
    except (_Declined, yaml.YAMLError, ValueError, UnicodeError):
        return None
    finally:
        if parser is not None:
            parser.dispose()
    if not isinstance(builder.root, dict):
        return None
    return Document(file, builder.root, builder.values, builder.keys)
