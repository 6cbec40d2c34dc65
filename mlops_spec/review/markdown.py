"""The review as a pull-request comment, within GitHub's size limit.

Order: the summary, the ML changes (one row each, linked to the spec line), the dangers as a
``> [!CAUTION]`` alert (an alert must open its blockquote and cannot sit inside ``<details>``),
the cost, the system pictures (Mermaid) and the resource diff, collapsed.

GitHub refuses a comment over 65,536 characters, counted as UTF-16 code units. The comment
is rendered within a budget (60,000 by default) by degrading, in this order, until it fits:

1. resource diff without values (changed paths only);
2. one picture only (the stack with the most severe change);
3. resource diff as counts per resource type;
4. cost totals without items;
5. no picture;
6. no resource diff (its counts stay in the summary);
7. ML rows without links.

The summary, the dangers and the ML rows are never cut. The full report (``render_full``)
has everything and goes to the job summary and an artifact; a trimmed comment says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from mlops_spec.review.cost_table import render_costs
from mlops_spec.review.report import Judged, Review, StackReview
from mlops_spec.review.resources import Group, groups, type_name
from mlops_spec.review.rules import Severity
from mlops_spec.review.text import TIMES, cell, units

MARKER = "<!-- mlops-review -->"
BUDGET = 60_000
HARD_LIMIT = 65_536
VALUE_WIDTH = 80
_ICONS = {Severity.DANGER: "⛔ danger", Severity.REVIEW: "⚠️ review", Severity.INFO: "info"}
_ACTIONS = {"add": "+", "delete": "-", "change": "~", "replace": "-/+"}


@dataclass(frozen=True)
class Level:
    """How much of the optional sections a rendering keeps."""

    name: str
    diff: str = "values"  # values | paths | types | none
    pictures: str = "all"  # all | worst | none
    cost_items: bool = True
    links: bool = True


_FULL = Level("full")
LEVELS = (
    _FULL,
    replace(_FULL, name="resource diff without values", diff="paths"),
    replace(_FULL, name="one picture", diff="paths", pictures="worst"),
    replace(_FULL, name="resource diff by type", diff="types", pictures="worst"),
    replace(_FULL, name="cost totals", diff="types", pictures="worst", cost_items=False),
    replace(_FULL, name="no picture", diff="types", pictures="none", cost_items=False),
    replace(_FULL, name="no resource diff", diff="none", pictures="none", cost_items=False),
    Level("no links", diff="none", pictures="none", cost_items=False, links=False),
)


@dataclass(frozen=True)
class Comment:
    text: str
    units: int
    level: str


def render_full(review: Review) -> str:
    """Everything, for the job summary and the artifact."""
    return _render(review, _FULL, trimmed=False)


def render_comment(review: Review, budget: int = BUDGET) -> Comment:
    """The comment at the first level that fits ``budget`` UTF-16 units."""
    text, level = "", LEVELS[-1]
    for level in LEVELS:
        text = _render(review, level, trimmed=level is not _FULL)
        if units(text) <= budget:
            break
    return Comment(text, units(text), level.name)


def _render(review: Review, level: Level, trimmed: bool) -> str:
    parts = [MARKER, _summary(review)]
    rows = _merged_rows(review)
    if rows:
        parts.append(_ml_table(review, rows, level.links))
    if review.has_danger:
        parts.append(_cautions(review, rows, level.links))
    notes = [*review.notes, *(f"{s.stack}: {n}" for s in review.stacks for n in s.notes)]
    if notes:
        parts.append(
            "\n".join(f"> [!NOTE]\n> {n}" if i == 0 else f"> {n}" for i, n in enumerate(notes))
        )
    parts.append(_costs(review, level))
    parts += _pictures(review, level)
    if level.diff != "none":
        parts += [_resource_diff(s, level) for s in review.stacks if s.entries]
    if trimmed:
        parts.append(
            f"<sub>Trimmed to fit a pull-request comment ({level.name}); the full report is in "
            "the job summary and the workflow's `mlops-review` artifact.</sub>"
        )
    return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


def _summary(review: Review) -> str:
    dangers, to_review = review.count(Severity.DANGER), review.count(Severity.REVIEW)
    counts = [
        f"⛔ {dangers} danger{'s' if dangers != 1 else ''}" if dangers else "no danger",
        f"⚠️ {to_review} to review" if to_review else "nothing to review",
        f"{review.count(Severity.INFO)} info",
    ]
    lines = [f"## mlops review: {' · '.join(counts)}", ""]
    lines += ["| stack | spec | ML changes | resources |", "| --- | --- | --- | --- |"]
    for s in review.stacks:
        flagged = (
            f", {s.danger_count} danger{'s' if s.danger_count != 1 else ''}"
            if s.danger_count
            else ""
        )
        summary = s.summary
        resources = (
            f"{summary['added']} to add, {summary['changed']} to change "
            f"({summary['replaced']} replaced), {summary['removed']} to delete"
        )
        lines.append(
            f"| **{s.stack}** | `{s.file or '?'}` | {len(s.changes)}{flagged} | {resources} |"
        )
    if not review.stacks:
        lines.append("| | | no stacks compared | |")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Row:
    stacks: tuple[str, ...]
    item: Judged
    file: str | None


def _merged_rows(review: Review) -> list[_Row]:
    """One row per change, the stacks where the same change happens merged into it."""
    merged: dict[tuple[object, ...], list[str]] = {}
    first: dict[tuple[object, ...], tuple[Judged, str | None]] = {}
    for stack in review.stacks:
        for item in stack.changes:
            c = item.change
            key = (c.model, c.text, stack.file, c.line, item.severity, item.verdict.why)
            merged.setdefault(key, []).append(stack.stack)
            first.setdefault(key, (item, stack.file))
    rows = [_Row(tuple(stacks), *first[key]) for key, stacks in merged.items()]
    return sorted(rows, key=lambda r: (-r.item.severity, r.item.change.model or ""))


def _where(review: Review, row: _Row, links: bool) -> str:
    files = {s.file for s in review.stacks}
    line = row.item.change.line
    label = f"L{line}" if line else "file"
    if len(files) > 1 and row.file:
        label = f"{row.file.rsplit('/', 2)[-2] if '/' in row.file else row.file}:{label}"
    if not (links and review.link_base and row.file):
        return label
    anchor = f"#L{line}" if line else ""
    return f"[{label}]({review.link_base.rstrip('/')}/{row.file.lstrip('/')}{anchor})"


def _ml_table(review: Review, rows: list[_Row], links: bool) -> str:
    lines = [
        "### ML changes",
        "",
        "| | stacks | model | change | spec |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        item = row.item
        why = f" — *{item.verdict.why}*" if item.severity is not Severity.INFO else ""
        lines.append(
            f"| {_ICONS[item.severity]} | {', '.join(row.stacks)} | {cell(item.change.model or '')} "
            f"| {cell(item.change.text)}{why} | {_where(review, row, links)} |"
        )
    return "\n".join(lines)


def _cautions(review: Review, rows: list[_Row], links: bool) -> str:
    count = review.count(Severity.DANGER)
    lines = [
        "> [!CAUTION]",
        f"> **{count} danger{'s' if count != 1 else ''}.** Merging deploys "
        f"{'them' if count != 1 else 'it'}.",
    ]
    if review.accept_label:
        lines[-1] += (
            f" After review, the label `{review.accept_label}` accepts "
            f"{'them' if count != 1 else 'it'}."
        )
    lines.append(">")
    for row in rows:
        if row.item.severity is Severity.DANGER:
            c = row.item.change
            model = f" · {c.model}" if c.model else ""
            lines.append(
                f"> - **{', '.join(row.stacks)}**{model}: {cell(c.text)}: "
                f"{row.item.verdict.why} ({_where(review, row, links)})"
            )
    for stack in review.stacks:
        for group in stack.resource_dangers:
            lines.append(f"> - **{stack.stack}**: {group.text()}")
    return "\n".join(lines)


def _costs(review: Review, level: Level) -> str:
    if not review.stacks:
        return ""
    rows = [(s.stack, s.cost, s.cost_note) for s in review.stacks]
    return "### Monthly cost\n\n" + render_costs(rows, items=level.cost_items)


def _pictures(review: Review, level: Level) -> list[str]:
    drawn = [s for s in review.stacks if s.picture is not None and s.changes]
    if level.pictures == "none" or not drawn:
        return []
    if level.pictures == "worst":
        drawn = [max(drawn, key=lambda s: max(j.severity for j in s.changes))]
    out = []
    for s in drawn:
        assert s.picture is not None
        summary = f"<summary>System picture · {s.stack} (changes highlighted)</summary>"
        body = f"```mermaid\n{s.picture.text}```" if s.picture.text else f"*{s.picture.note}*"
        out.append(f"<details>{summary}\n\n{body}\n\n</details>")
    return out


def _resource_diff(stack: StackReview, level: Level) -> str:
    summary = stack.summary
    head = (
        f"<details><summary>Resource diff · {stack.stack}: {summary['added']} to add, "
        f"{summary['changed']} to change ({summary['replaced']} replaced), "
        f"{summary['removed']} to delete</summary>\n"
    )
    found = groups(list(stack.entries))
    body = _by_type(found) if level.diff == "types" else _grouped(found, level.diff == "values")
    return head + "\n" + "\n".join(body) + "\n\n</details>"


def _by_type(found: Iterable[Group]) -> list[str]:
    counts: dict[tuple[str, str], int] = {}
    for g in found:
        counts[(g.action, g.type)] = counts.get((g.action, g.type), 0) + len(g.names)
    return [f"- `{_ACTIONS[a]}` {n} {TIMES} {type_name(t)}" for (a, t), n in counts.items()]


def _names(names: tuple[str, ...], shown: int = 3) -> str:
    more = f", … (+{len(names) - shown})" if len(names) > shown else ""
    return ", ".join(f"`{n}`" for n in names[:shown]) + more


def _grouped(found: Iterable[Group], values: bool) -> list[str]:
    lines = []
    for g in found:
        what = (
            f"{len(g.names)} {TIMES} {type_name(g.type)}" if len(g.names) > 1 else type_name(g.type)
        )
        head = f"- `{_ACTIONS[g.action]}` **{what}** {_names(g.names)}"
        if len(g.lines) == 1:
            lines.append(f"{head}: {g.lines[0].render(VALUE_WIDTH, values)}")
            continue
        lines.append(head)
        lines += [f"  - {line.render(VALUE_WIDTH, values)}" for line in g.lines]
    return lines
