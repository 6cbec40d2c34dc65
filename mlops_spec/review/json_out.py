"""The review as JSON (``mlops review -f json``): for scripts and the workflow's decisions."""

from __future__ import annotations

from typing import Any

from mlops_spec.review.markdown import Comment
from mlops_spec.review.report import Judged, Review, StackReview
from mlops_spec.review.resources import Entry

FORMAT = "mlops-review"
FORMAT_VERSION = 1


def _change(item: Judged, stack: StackReview, link_base: str | None) -> dict[str, Any]:
    c = item.change
    link = None
    if link_base and stack.file:
        link = f"{link_base.rstrip('/')}/{stack.file}" + (f"#L{c.line}" if c.line else "")
    return {
        "model": c.model,
        "kind": c.kind,
        "text": c.text,
        "severity": item.severity.label,
        "rule": item.verdict.rule,
        "why": item.verdict.why,
        "path": c.path,
        "line": c.line,
        "link": link,
    }


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "action": entry.action,
        "type": entry.type,
        "name": entry.name,
        "renamed_from": entry.renamed_from,
        "changes": [
            {"path": x.path, "kind": x.kind, "old": x.old, "new": x.new, "replaces": x.replaces}
            for x in entry.lines
        ],
    }


def _stack(stack: StackReview, link_base: str | None) -> dict[str, Any]:
    return {
        "stack": stack.stack,
        "file": stack.file,
        "changes": [_change(item, stack, link_base) for item in stack.changes],
        "resource_dangers": [
            {"type": g.type, "names": list(g.names), "text": g.text()}
            for g in stack.resource_dangers
        ],
        "dangers": stack.danger_count,
        "resources": {
            "summary": dict(stack.summary),
            "entries": [_entry(e) for e in stack.entries],
        },
        "cost": stack.cost,
        "cost_note": stack.cost_note,
        "picture": stack.picture.text if stack.picture else None,
        "notes": list(stack.notes),
    }


def review_dict(review: Review, comment: Comment | None = None) -> dict[str, Any]:
    """Every stack's changes with severities, dangers, resource entries, cost and picture."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "has_danger": review.has_danger,
        "counts": {s.label: review.count(s) for s in _severities()},
        "stacks": [_stack(s, review.link_base) for s in review.stacks],
        "notes": list(review.notes),
    }
    if comment is not None:
        data["comment"] = {"units": comment.units, "level": comment.level}
    return data


def _severities() -> tuple[Any, ...]:
    from mlops_spec.review.rules import Severity

    return (Severity.DANGER, Severity.REVIEW, Severity.INFO)
