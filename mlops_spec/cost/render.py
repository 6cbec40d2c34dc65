"""The estimate as a table for people (``mlops cost`` text output)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from mlops_spec.cost.estimator import CostEstimate, CostItem


def _usd(value: float | None) -> str:
    return "not priced" if value is None else f"${value:,.2f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _count(item: CostItem) -> str:
    if item.max_count is not None and item.max_count != item.count:
        return f"{item.count}-{item.max_count}"
    return str(item.count)


def _runs(item: CostItem) -> str:
    if item.runs_per_month is None:
        return "always on"
    text = _number(item.runs_per_month)
    if item.max_runs_per_month is None:
        return f"{text} (no cap)"
    if item.max_runs_per_month != item.runs_per_month:
        text += f" (≤{_number(item.max_runs_per_month)})"
    return text


def render_estimate(estimate: CostEstimate) -> Group:
    """A table of items, the totals, and every note, assumption and exclusion."""
    table = Table(title=f"{estimate.system} {estimate.environment} ({estimate.region}): per month")
    for column in ("model", "what", "instance", "count", "runs", "h/run", "usd", "usd max"):
        table.add_column(
            column,
            justify="right" if column in ("count", "runs", "h/run", "usd", "usd max") else "left",
        )
    notes: list[str] = []
    for item in estimate.items:
        marks = []
        for note in item.notes:
            if note not in notes:
                notes.append(note)
            marks.append(str(notes.index(note) + 1))
        table.add_row(
            item.model,
            f"{item.what} [{','.join(marks)}]" if marks else item.what,
            item.instance_type,
            _count(item),
            _runs(item),
            _number(item.hours_per_run),
            _usd(item.usd),
            _usd(item.usd_max),
        )
    upper = estimate.monthly_usd_max
    total = f"total: ${estimate.monthly_usd:,.2f} per month"
    total += f", up to ${upper:,.2f}" if upper is not None else ", no upper bound"
    if not estimate.complete:
        total += " (items marked 'not priced' are left out)"
    lines: list[RenderableType] = [table, Text(total, style="bold")]
    lines += [Text(f"[{n}] {note}") for n, note in enumerate(notes, start=1)]
    lines += [Text(f"note: {note}") for note in estimate.notes]
    counts = estimate.counts
    lines.append(
        Text(
            "CloudWatch, not priced: "
            f"metric alarms {counts.get('cloudwatch_metric_alarms')}, "
            f"composite alarms {counts.get('cloudwatch_composite_alarms')}, "
            f"custom metric series {counts.get('custom_metric_series')}"
        )
    )
    lines.append(Text("excluded: " + "; ".join(estimate.excluded)))
    lines.append(Text(f"prices: {estimate.prices or 'the price table has no source comment'}"))
    return Group(*lines)
