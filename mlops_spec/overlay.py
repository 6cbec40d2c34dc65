"""The one merge function for environment overlays, and its provenance bookkeeping.

Layers apply lowest first: field defaults < base file < mode preset < environment overlay
(docs/spec.md, "Environments"). Each layer is laid over the one below with ``merge``:

- mappings merge recursively, key by key;
- lists replace the lower list whole;
- scalars replace;
- ``null`` replaces too, and stays in the merged document as "unset here": whatever a lower
  layer set there (the base's value, the preset's) is gone, and a higher layer can still set
  the key again. A null written in the file beats the preset: the preset is laid over the
  base with ``lower_nulls_win``.

After the last layer, ``resolve_nulls`` gives each null that is left its meaning: a field
that accepts null (an optional field) is null, which is its documented "unset" meaning; any
other key is removed, so a field with a default takes its field default (not the preset's)
and an entry of a mapping of ids (a model, a monitor, a tag) is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from mlops_spec.yamlio import Loc, Position


def merge(lower: Any, upper: Any, *, lower_nulls_win: bool = False) -> Any:
    """``upper`` laid over ``lower`` by the rules above. Neither input is modified; nulls
    are kept (``resolve_nulls`` decides what they mean)."""
    if lower is None and lower_nulls_win:
        return None
    if isinstance(lower, dict) and isinstance(upper, dict):
        merged = dict(lower)
        for key, value in upper.items():
            if key in merged:
                merged[key] = merge(merged[key], value, lower_nulls_win=lower_nulls_win)
            else:
                merged[key] = value
        return merged
    return upper


def resolve_nulls(data: Any, nullable: Callable[[Loc], bool]) -> tuple[Any, list[Loc]]:
    """``data`` with every null of its mappings resolved, and the paths that were null.

    ``nullable(loc)`` says whether the field at ``loc`` accepts null: such a null is kept;
    any other key holding null is removed. Lists are kept as written. A mapping nothing under
    which is removed is returned as it is (shared, not copied); ``data`` is not modified.
    """
    nulled: list[Loc] = []

    def walk(value: dict[str, Any], loc: Loc) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for key, child in value.items():
            if child is None:
                path = (*loc, key)
                nulled.append(path)
                if not nullable(path):
                    changes[key] = _REMOVED
            elif isinstance(child, dict):
                resolved = walk(child, (*loc, key))
                if resolved is not child:
                    changes[key] = resolved
        if not changes:
            return value
        result = {key: changes.get(key, child) for key, child in value.items()}
        return {key: child for key, child in result.items() if child is not _REMOVED}

    return (walk(data, ()) if isinstance(data, dict) else data), nulled


_REMOVED = object()


def strip_nulls(value: Any) -> Any:
    """Remove keys whose value is null, recursively (lists are kept as written)."""
    return resolve_nulls(value, lambda loc: False)[0]


def lookup(data: Any, loc: Loc) -> tuple[bool, Any]:
    """(True, value) at ``loc`` in nested mappings and lists, else (False, None)."""
    for part in loc:
        if isinstance(data, dict):
            if part not in data:
                return False, None
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return False, None
    return True, data


def _exists(data: Any, loc: Loc) -> bool:
    return lookup(data, loc)[0]


def replaced(overlay: Any, loc: Loc) -> bool:
    """True if the overlay replaces (or unsets) ``loc`` or one of its ancestors."""
    node = overlay
    for part in loc:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
        if not isinstance(node, dict):
            return True
    return False


def merge_positions(
    base: dict[Loc, Position], overlay_data: Any, overlay: dict[Loc, Position], merged: Any
) -> dict[Loc, Position]:
    """Positions of the merged document: the overlay's, then the base's that survived."""
    result = {
        loc: pos
        for loc, pos in base.items()
        if _exists(merged, loc) and not replaced(overlay_data, loc)
    }
    result.update({loc: pos for loc, pos in overlay.items() if _exists(merged, loc)})
    return result


class MergedPositions(Mapping[Loc, Position]):
    """:func:`merge_positions` of one stack, looked up path by path.

    ``source`` holds the file's positions (the base at the root, the stack's overlay under
    ``prefix``). A look-up answers what ``merge_positions`` of the base (the source outside
    ``environments``), the overlay (``reroot(source, prefix, layer)``) and ``merged`` holds
    at that path, walking only that path; the whole mapping is built only when iterated (most
    stacks ask for a few positions: an error's, a note's).
    """

    def __init__(
        self,
        source: Mapping[Loc, Position],
        prefix: Loc,
        layer: str,
        overlay_data: Any,
        merged: Any,
    ) -> None:
        self._source, self._prefix, self._layer = source, prefix, layer
        self._overlay_data, self._merged = overlay_data, merged
        self._all: dict[Loc, Position] | None = None

    def __getitem__(self, loc: Loc) -> Position:
        if loc:
            written = self._source.get((*self._prefix, *loc))
            if written is not None and _exists(self._merged, loc):
                return Position(written.file, written.line, written.column, self._layer)
            if loc[0] == "environments":
                raise KeyError(loc)
        written = self._source.get(loc)
        if (
            written is not None
            and _exists(self._merged, loc)
            and not replaced(self._overlay_data, loc)
        ):
            return written
        raise KeyError(loc)

    def _materialized(self) -> dict[Loc, Position]:
        if self._all is None:
            base = {k: v for k, v in self._source.items() if k[:1] != ("environments",)}
            overlay = reroot(self._source, self._prefix, self._layer)
            self._all = merge_positions(base, self._overlay_data, overlay, self._merged)
        return self._all

    def __iter__(self) -> Iterator[Loc]:
        return iter(self._materialized())

    def __len__(self) -> int:
        return len(self._materialized())


def reroot(positions: Mapping[Loc, Position], prefix: Loc, layer: str) -> dict[Loc, Position]:
    """Positions under ``prefix`` re-keyed relative to it and tagged with ``layer``."""
    size = len(prefix)
    return {
        loc[size:]: Position(pos.file, pos.line, pos.column, layer)
        for loc, pos in positions.items()
        if loc[:size] == prefix and len(loc) > size
    }
