"""Human-readable views of a plan and a diff (rich renderables; machine output is the JSON)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from mlops_preview.diff import PlanDiff, PropertyChange
from mlops_preview.document import PlanDocument, PlannedResource
from mlops_preview.urns import urn_name

VALUE_WIDTH = 80


def short_value(value: Any, width: int = VALUE_WIDTH) -> str:
    """A value as one line of JSON, cut to ``width`` characters."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) if value is not None else "null"
    return text if len(text) <= width else text[: width - 3] + "..."


def _label(resource: PlannedResource) -> Text:
    text = Text()
    text.append(resource.name, style="bold cyan" if not resource.custom else "bold")
    text.append(f"  {resource.type}", style="dim")
    for flag, on in (("protect", resource.protect), ("retain", resource.retain_on_delete)):
        if on:
            text.append(f"  [{flag}]", style="yellow")
    return text


def plan_tree(doc: PlanDocument) -> Tree:
    """Components and their children, under the stack."""
    children: dict[str | None, list[PlannedResource]] = defaultdict(list)
    urns = {r.urn for r in doc.resources}
    for resource in doc.resources:
        children[resource.parent if resource.parent in urns else None].append(resource)
    tree = Tree(Text.assemble((f"{doc.project}/{doc.stack}", "bold"), f"  {len(urns)} resources"))

    def add(node: Tree, parent: str | None) -> None:
        for child in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            add(node.add(_label(child)), child.urn)

    add(tree, None)
    return tree


def counts_table(doc: PlanDocument) -> Table:
    """Resources per type, with a total."""
    table = Table(title="Resources by type", title_justify="left")
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_, count in doc.counts_by_type().items():
        table.add_row(Text(type_), Text(str(count)))
    table.add_row(Text("total", style="bold"), Text(str(len(doc.resources)), style="bold"))
    return table


def render_plan(doc: PlanDocument) -> RenderableType:
    """Tree, count summary, stack outputs and warnings."""
    parts: list[RenderableType] = [plan_tree(doc), counts_table(doc)]
    if doc.outputs:
        outputs = Table(title="Stack outputs", title_justify="left")
        outputs.add_column("name")
        outputs.add_column("value")
        for key in sorted(doc.outputs):
            outputs.add_row(Text(key), Text(short_value(doc.outputs[key])))
        parts.append(outputs)
    parts.extend(Text(f"warning: {w}", style="yellow") for w in doc.warnings)
    return Group(*parts)


def _change_line(change: PropertyChange, replaces: bool, option: bool = False) -> Text:
    line = Text("      ")
    if option:
        line.append("option ", style="dim")
    line.append(f"{change.path}: ")
    if change.path == "depends_on":  # URNs: show which resource, not a truncated prefix
        urn = change.new if change.kind == "added" else change.old
        line.append(f"{'+' if change.kind == 'added' else '-'} {urn_name(str(urn))}")
        return line
    if change.kind == "added":
        line.append(short_value(change.new), style="green")
    elif change.kind == "removed":
        line.append(short_value(change.old), style="red")
        line.append(" (removed)", style="dim")
    else:
        line.append(short_value(change.old), style="red")
        line.append(" -> ")
        line.append(short_value(change.new), style="green")
    if replaces:
        line.append("  (forces replacement)", style="bold red")
    return line


def render_diff(diff: PlanDiff) -> RenderableType:
    """Dangers first, then deletions, additions and changes with their changed paths."""
    counts = diff.summary()
    header = Text.assemble(
        (f"{diff.base} -> {diff.head}: ", "bold"),
        (f"{counts['added']} to add", "green"),
        ", ",
        (f"{counts['changed']} to change", "yellow"),
        f" ({counts['replaced']} replaced, {counts['renamed']} renamed), ",
        (f"{counts['removed']} to delete", "red"),
    )
    parts: list[RenderableType] = [header]
    if diff.is_empty:
        parts.append(Text("no changes", style="dim"))
    if diff.dangers:
        body = Group(*(Text(f"- {d.reason}\n  {d.urn}") for d in diff.dangers))
        parts.append(Panel(body, title="DANGER", border_style="bold red", title_align="left"))
    for resource in diff.removed:
        parts.append(Text(f"  - {resource.type}  {resource.name}", style="red"))
    for resource in diff.added:
        parts.append(Text(f"  + {resource.type}  {resource.name}", style="green"))
    for change in diff.changed:
        line = Text(f"  ~ {change.type}  {change.name}", style="yellow")
        if change.old_urn:
            line.append(f"  (renamed from {urn_name(change.old_urn)})", style="magenta")
        parts.append(line)
        parts.extend(_change_line(c, c.path in change.replaces) for c in change.inputs)
        parts.extend(_change_line(c, False, option=True) for c in change.options)
        parts.extend(
            Text(f"      in place, it {effect}", style="cyan") for effect in change.effects
        )
    if diff.outputs:
        parts.append(Text("  stack outputs:", style="bold"))
        parts.extend(_change_line(c, False) for c in diff.outputs)
    return Group(*parts)
