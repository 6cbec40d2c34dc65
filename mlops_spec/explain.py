"""Where each resolved value came from: a default, the base file, a preset or an overlay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_spec.errors import dotted
from mlops_spec.load import Resolution
from mlops_spec.overlay import lookup
from mlops_spec.yamlio import Loc, Position


@dataclass(frozen=True)
class Origin:
    """The source of one resolved value."""

    path: str
    value: Any
    source: str  # default | base | preset:<mode> | overlay:<stack>
    file: str | None = None
    line: int | None = None
    unset_by: Position | None = None
    """The ``null`` that removed what a lower layer set here (the value is the default)."""

    def describe(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else ""
        if self.unset_by is not None:
            null = self.unset_by
            where += f", restored by null in {null.layer} ({null.file}:{null.line})"
        return f"{self.source}{where}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "value": self.value,
            "source": self.source,
            "file": self.file,
            "line": self.line,
            "unset_by": None
            if self.unset_by is None
            else {
                "layer": self.unset_by.layer,
                "file": self.unset_by.file,
                "line": self.unset_by.line,
            },
        }


def _leaves(value: Any, loc: Loc) -> list[tuple[Loc, Any]]:
    if isinstance(value, dict) and value:
        out: list[tuple[Loc, Any]] = []
        for key, child in value.items():
            out += _leaves(child, (*loc, key))
        return out
    return [(loc, value)]


def parse_path(text: str) -> Loc:
    """``models.churn.monitors`` / ``notifications.emails[0]`` -> a spec path tuple."""
    loc: list[str | int] = []
    for part in text.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            loc.append(int(part[1:-1]))
        else:
            loc.append(part)
    return tuple(loc)


def _null_above(unset: dict[Loc, Position], loc: Loc) -> Position | None:
    """The null written at ``loc`` or at its nearest ancestor, if any."""
    for size in range(len(loc), 0, -1):
        if loc[:size] in unset:
            return unset[loc[:size]]
    return None


def explain(resolution: Resolution, path: str | None = None) -> list[Origin]:
    """Origins of every leaf value under ``path`` (the whole spec when None)."""
    assert resolution.resolved is not None
    resolved = resolution.resolved.spec.model_dump(mode="json")
    loc = parse_path(path) if path else ()
    found, value = lookup(resolved, loc)
    if not found:
        raise KeyError(dotted(loc))
    origins = []
    mode = resolution.settings.mode.value if resolution.settings else "?"
    for leaf, leaf_value in _leaves(value, loc):
        written, _ = lookup(resolution.data, leaf)
        position = resolution.positions.get(leaf) if written else None
        unset_by = None
        if not written:
            source = "default"
            unset_by = _null_above(resolution.unset, leaf)
        elif leaf in resolution.preset_paths:
            source = f"preset:{mode}"
            position = None
        else:
            source = position.layer if position else "base"
        origins.append(
            Origin(
                dotted(leaf),
                leaf_value,
                source,
                position.file if position else None,
                position.line if position else None,
                unset_by,
            )
        )
    return origins
