"""The one merge function for environment overlays, and its provenance bookkeeping.

Rules (docs/spec.md, "Environments"):
- mappings merge recursively, key by key;
- lists replace the base list whole;
- scalars replace;
- ``null`` unsets: the key is removed and the field takes its documented default.
The same ``null`` rule applies in the base file, so `null` means "not set" everywhere.
"""

from __future__ import annotations

from typing import Any

from mlops_spec.yamlio import Loc, Position


def strip_nulls(value: Any) -> Any:
    """Remove keys whose value is null, recursively (lists are kept as written)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    return value


def merge(base: Any, overlay: Any) -> Any:
    """Overlay ``overlay`` on ``base`` by the rules above. Neither input is modified."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = strip_nulls(base)
        for key, value in overlay.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = strip_nulls(value)
        return merged
    return strip_nulls(overlay)


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


def _replaced(overlay: Any, loc: Loc) -> bool:
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
        if _exists(merged, loc) and not _replaced(overlay_data, loc)
    }
    result.update({loc: pos for loc, pos in overlay.items() if _exists(merged, loc)})
    return result


def reroot(positions: dict[Loc, Position], prefix: Loc, layer: str) -> dict[Loc, Position]:
    """Positions under ``prefix`` re-keyed relative to it and tagged with ``layer``."""
    size = len(prefix)
    return {
        loc[size:]: Position(pos.file, pos.line, pos.column, layer)
        for loc, pos in positions.items()
        if loc[:size] == prefix and len(loc) > size
    }
