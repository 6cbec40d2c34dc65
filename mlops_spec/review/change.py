"""One change in ML terms, and what the describers share: the two sides' facts, spec lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_spec.review.facts import Facts
from mlops_spec.review.text import shorten, value_text

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class MlChange:
    """A change a reviewer reads as one sentence ("canary 10% -> 25%").

    ``kind`` and ``attrs`` are what the severity rules (``rules.py``) read; describers state
    facts only and never decide a severity.
    """

    kind: str
    text: str
    path: str
    model: str | None = None
    line: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """Both sides of one stack, and what the resource diff adds (alarms whose paging stops)."""

    base: Facts
    head: Facts
    alarms_off: int = 0
    failure_rules_off: int = 0
    unprotected: int = 0

    @property
    def paging_losses(self) -> str:
        """What stops paging: "14 alarms and the pipeline-failure rule" (empty when nothing)."""
        parts = [f"{self.alarms_off} alarms"] if self.alarms_off else []
        parts += ["the pipeline-failure rule"] if self.failure_rules_off else []
        return " and ".join(parts)

    @property
    def stack(self) -> str:
        return self.head.stack

    @property
    def production(self) -> bool:
        return self.head.production

    def line(self, path: str) -> int | None:
        """The head's line for ``path`` (a removed value links to its nearest parent)."""
        if path.startswith("environment."):
            key = path.split(".", 1)[1]
            lines = self.head.env_lines
            return lines.get(key) or lines.get("mode") or lines.get("(stack)")
        return self.head.line(path)

    def change(
        self, kind: str, text: str, path: str, model: str | None = None, **attrs: Any
    ) -> MlChange:
        return MlChange(kind, text, path, model, self.line(path), attrs)


def dig(tree: Any, *keys: str | int) -> Any:
    """``tree[k1][k2]...`` or None when a step is missing."""
    for key in keys:
        if isinstance(tree, Mapping) and key in tree:
            tree = tree[key]
        else:
            return None
    return tree


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def flatten(tree: Any, loc: Loc = ()) -> dict[Loc, Any]:
    """Leaves of a JSON tree by path (lists and empty mappings are leaves)."""
    if isinstance(tree, Mapping) and tree:
        out: dict[Loc, Any] = {}
        for key, child in tree.items():
            out.update(flatten(child, (*loc, key)))
        return out
    return {loc: tree}


def leaf_changes(old: Any, new: Any, loc: Loc = ()) -> dict[Loc, tuple[Any, Any]]:
    """Leaves whose value differs (absent is None)."""
    before, after = flatten(old, loc) if old is not None else {}, flatten(new, loc) if new else {}
    if new is not None and not after:
        after = flatten(new, loc)
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after), key=str)
        if before.get(key) != after.get(key)
    }


def show(value: Any, width: int = 60) -> str:
    """A spec value as a reviewer writes it: plain strings, numbers without trailing .0."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return shorten(value, width)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return shorten(", ".join(str(v) for v in value) or "none", width)
    return shorten(value_text(value), width)


def arrow(old: Any, new: Any, unit: str = "") -> str:
    return f"{show(old)}{unit} -> {show(new)}{unit}"
