"""What reading a spec file gives: plain values with the position of every key and value, and
the bounds a file must keep (:mod:`mlops_spec.yamlio` reads it, :mod:`mlops_spec.yaml_fast`
is its fast path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 100_000

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """Where a value was written (1-based), and by which layer."""

    file: str
    line: int
    column: int
    layer: str = "base"


_new = object.__new__


def position_at(file: str, line: int, column: int) -> Position:
    """``Position(file, line, column)`` (layer ``base``), built without the frozen
    dataclass's ``__init__`` and its ``object.__setattr__`` per field (2.5 times the cost; the
    reader makes one per key and value)."""
    position = _new(Position)
    fields = position.__dict__
    fields["file"] = file
    fields["line"] = line
    fields["column"] = column
    fields["layer"] = "base"
    return position


@dataclass
class Document:
    """A YAML document as plain values, with positions keyed by spec path."""

    file: str
    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)
