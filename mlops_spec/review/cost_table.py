"""The review's cost table: the monthly cost of each stack before and after, from price tables.

A per-stack cost delta is plain data::

    {"monthly_usd": {"before": 1234.5, "after": 1456.0},
     "complete": {"before": true, "after": true},
     "items": [{"item": "churn-classifier endpoint ml.c5.large", "before": 124.1, "after": 372.3}]}

``cost_delta`` builds it from two ``mlops cost -f json`` documents (``monthly_usd`` and
``items``); ``estimate_delta`` asks the cost estimator (``mlops_spec.cost``, when this version
has one) for both plans with the price table committed beside the spec. Without a table
there is no number, only the note "no price table": prices are never invented.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NO_TABLE = "no price table"


def _item_key(item: Mapping[str, Any]) -> str:
    parts = [
        item.get("model"),
        item.get("what") or item.get("component"),
        item.get("instance_type"),
    ]
    text = " ".join(str(p) for p in parts if p)
    return text or str(item.get("resource") or item.get("name") or "item")


def cost_delta(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """The delta of two estimates (``mlops cost -f json``); a missing side costs nothing."""
    sides = {"before": before or {}, "after": after or {}}
    items: dict[str, dict[str, Any]] = {}
    for side, estimate in sides.items():
        for item in estimate.get("items") or ():
            row = items.setdefault(_item_key(item), {"before": None, "after": None})
            usd = item.get("usd")
            row[side] = usd if row[side] is None or usd is None else row[side] + usd
    return {
        "monthly_usd": {side: float(e.get("monthly_usd") or 0) for side, e in sides.items()},
        "complete": {side: bool(e.get("complete", True)) for side, e in sides.items()},
        "items": [{"item": key, **value} for key, value in sorted(items.items())],
    }


def estimate_delta(
    base: Any, head: Any, spec_file: str | None, prices: Path | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """(delta, None) with a price table, else (None, why not). ``base``/``head`` are plan
    documents; the table is ``prices`` or the one committed beside the spec."""
    try:
        cost = importlib.import_module("mlops_spec.cost")
    except ImportError:
        return None, NO_TABLE
    spec_dir = Path(spec_file).parent if spec_file else Path()
    table_path = prices or spec_dir / cost.PRICES_FILE
    if not table_path.is_file():
        return None, f"{NO_TABLE} (`mlops prices fetch` writes {table_path})"
    try:
        table = cost.read_prices(table_path)
        usage_path = spec_dir / cost.USAGE_FILE
        usage = cost.read_usage(usage_path) if usage_path.is_file() else None
        before = cost.estimate(base.to_dict(), table, usage).to_dict() if base.resources else None
        after = cost.estimate(head.to_dict(), table, usage).to_dict()
    except Exception as error:  # a broken table or usage file: say so, never a number
        return None, f"cost not estimated: {error}"
    return cost_delta(before, after), None


def usd(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "unpriced"
    sign = ("+" if value > 0 else "-" if value < 0 else "±") if signed else ""
    return f"{sign}${abs(value):,.2f}"


def change(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "unpriced"
    text = usd(after - before, signed=True)
    if before:
        text += f" ({(after - before) / before:+.1%})"
    return text


def render_costs(
    stacks: list[tuple[str, Mapping[str, Any] | None, str | None]], items: bool
) -> str:
    """The cost section for (stack, delta or None, note) rows; ``items`` adds what changed."""
    priced = [(s, d) for s, d, _ in stacks if d is not None]
    if not priced:
        notes = sorted({n or NO_TABLE for _, d, n in stacks})
        return f"**Cost:** {'; '.join(notes)}.\n"
    lines = ["| stack | monthly before | after | change |", "| --- | --: | --: | --: |"]
    for stack, delta in priced:
        total = delta["monthly_usd"]
        floor = {k: "" if ok else "≥ " for k, ok in (delta.get("complete") or {}).items()}
        lines.append(
            f"| {stack} | {floor.get('before', '')}{usd(total['before'])} "
            f"| {floor.get('after', '')}{usd(total['after'])} "
            f"| {change(total['before'], total['after'])} |"
        )
    lines += [f"| {s} | {n or NO_TABLE} | | |" for s, d, n in stacks if d is None]
    text = "\n".join(lines) + "\n"
    if items:
        for stack, delta in priced:
            text += _items(stack, delta)
    return text


def _items(stack: str, delta: Mapping[str, Any]) -> str:
    rows = [i for i in delta.get("items") or () if i.get("before") != i.get("after")]
    if not rows:
        return ""
    lines = [
        f"\n<details><summary>Cost items that change · {stack}</summary>\n",
        "| item | before | after | change |",
        "| --- | --: | --: | --: |",
    ]
    for row in rows:
        before, after = row.get("before"), row.get("after")
        lines.append(
            f"| {row['item']} | {usd(before)} | {usd(after)} | {change(before or 0, after or 0)} |"
        )
    return "\n".join(lines) + "\n\n</details>\n"
