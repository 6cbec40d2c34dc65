"""A review of one or more stacks: ML changes judged, dangers, resource diff, picture, cost.

``review_stack(base, head)`` compares two plan documents of one stack. ML rows need the
``facts`` of both (format_version 2); with a version 1 document the review shows what the
resource diff alone can tell, and says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_preview.diff import Danger, PlanDiff, diff_plans
from mlops_preview.document import PlanDocument
from mlops_spec import graph
from mlops_spec.plan.pipeline_failures import PURPOSE as FAILURE_RULE
from mlops_spec.review.change import Context, MlChange
from mlops_spec.review.facts import Facts, endpoints_from_outputs
from mlops_spec.review.ml import lifecycle_changes, ml_changes
from mlops_spec.review.ml_monitors import words as monitor_words
from mlops_spec.review.resources import Entry, entries, type_name
from mlops_spec.review.rules import Severity, Verdict, judge
from mlops_spec.review.text import TIMES

ALARM_TYPES = (
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
)
RULE_TYPE = "aws:cloudwatch/eventRule:EventRule"


@dataclass(frozen=True)
class Judged:
    """An ML change with its verdict."""

    change: MlChange
    verdict: Verdict

    @property
    def severity(self) -> Severity:
        return self.verdict.severity


@dataclass(frozen=True)
class DangerGroup:
    """Resource dangers of one type with the same reason ("11 x CloudWatch alarm: ...")."""

    type: str
    reason: str  # the reason with "{name}" where each resource's name was
    names: tuple[str, ...]

    def text(self, names_shown: int = 3) -> str:
        if len(self.names) == 1:
            return self.reason.replace("{name}", repr(self.names[0]))
        shown = ", ".join(self.names[:names_shown])
        more = f", … (+{len(self.names) - names_shown})" if len(self.names) > names_shown else ""
        reason = self.reason.replace(" {name}", "").replace("{name}", "it")
        return f"{len(self.names)} {TIMES} {type_name(self.type)} ({shown}{more}): {reason}"


@dataclass(frozen=True)
class StackReview:
    """Everything the comment says about one stack."""

    stack: str
    file: str | None
    changes: tuple[Judged, ...]
    resource_dangers: tuple[DangerGroup, ...]
    entries: tuple[Entry, ...]
    summary: Mapping[str, int]
    picture: graph.Picture | None = None
    cost: Mapping[str, Any] | None = None
    cost_note: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ml_dangers(self) -> list[Judged]:
        return [j for j in self.changes if j.severity is Severity.DANGER]

    @property
    def danger_count(self) -> int:
        return len(self.ml_dangers) + len(self.resource_dangers)

    def count(self, severity: Severity) -> int:
        return sum(j.severity is severity for j in self.changes)


@dataclass(frozen=True)
class Review:
    """The review of every stack compared, in input order."""

    stacks: tuple[StackReview, ...]
    notes: tuple[str, ...] = ()
    link_base: str | None = None
    accept_label: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_danger(self) -> bool:
        return any(s.danger_count for s in self.stacks)

    def count(self, severity: Severity) -> int:
        if severity is Severity.DANGER:
            return sum(s.danger_count for s in self.stacks)
        return sum(s.count(severity) for s in self.stacks)


def alarms_turned_off(diff: PlanDiff) -> int:
    """Alarms whose actions (notify, page) the change switches off."""
    return sum(
        any(c.path == "actionsEnabled" and c.old is True and c.new is False for c in ch.inputs)
        for ch in diff.changed
        if ch.type in ALARM_TYPES
    )


def failure_rules_turned_off(diff: PlanDiff) -> int:
    """Pipeline-failure rules (``<prefix>-pipeline-failed``) the change disables: failed
    retraining, scoring and monitoring runs stop reaching people, like the alarms."""
    return sum(
        ch.name.endswith(f"-{FAILURE_RULE}-rule")
        and any(c.path == "state" and c.old == "ENABLED" and c.new == "DISABLED" for c in ch.inputs)
        for ch in diff.changed
        if ch.type == RULE_TYPE
    )


def review_stack(
    base: PlanDocument,
    head: PlanDocument,
    cost: Mapping[str, Any] | None = None,
    cost_note: str | None = None,
) -> StackReview:
    """Compare two plans of one stack."""
    diff = diff_plans(base, head)
    base_facts, head_facts = Facts.of(base), Facts.of(head)
    notes: list[str] = []
    ctx = None
    rows: list[MlChange] = []
    if base_facts is not None and head_facts is not None:
        unprotected = len({d.urn for d in diff.dangers if _is_protection(d)})
        off = alarms_turned_off(diff), failure_rules_turned_off(diff)
        ctx = Context(base_facts, head_facts, *off, unprotected=unprotected)
        rows = ml_changes(ctx)
    elif base.resources or base_facts is not None:  # (an empty base is a new stack)
        old = [n for n, f in (("base", base_facts), ("head", head_facts)) if f is None]
        notes.append(
            f"no ML rows: the {' and '.join(old)} plan has no facts (format_version 1, written "
            "by an older mlops); plan both with this version for changes in ML terms"
        )
    before = base_facts.endpoints if base_facts else endpoints_from_outputs(base.outputs)
    after = head_facts.endpoints if head_facts else endpoints_from_outputs(head.outputs)
    rows += lifecycle_changes(ctx, before, after, head.stack)
    judged = tuple(Judged(row, judge(row)) for row in rows)
    paging = any(j.change.kind == "paging" for j in judged)
    mode = any(j.change.kind == "mode" and j.severity is Severity.DANGER for j in judged)
    dangers = _group_dangers(
        d
        for d in diff.dangers
        if not (paging and _is_paging(d)) and not (mode and (_is_protection(d) or _is_paging(d)))
    )
    picture = _picture(head_facts, judged) if head_facts else None
    return StackReview(
        stack=head.stack,
        file=_file(head_facts or base_facts),
        changes=judged,
        resource_dangers=tuple(dangers),
        entries=tuple(entries(diff, base, head)),
        summary=diff.summary(),
        picture=picture,
        cost=cost,
        cost_note=cost_note,
        notes=tuple(notes),
    )


def _file(facts: Facts | None) -> str | None:
    return facts.file if facts is not None else None


_PROTECTION = tuple(
    f"turns off {g}"
    for g in ("protect ", "retain_on_delete ", "deletionProtectionEnabled ", "pointInTimeRecovery")
)


def _is_protection(danger: Danger) -> bool:
    """A resource danger a production -> development switch explains (protection off)."""
    return danger.reason.startswith(_PROTECTION)


def _is_paging(danger: Danger) -> bool:
    """A resource danger the ML paging row already says (alarms' actions switched off)."""
    return danger.type in ALARM_TYPES and danger.reason.startswith("turns off actionsEnabled")


_REPLACES = re.compile(r"^(replaces .*?\{name\}) \(`([^`]+)`: .*\)(; .*|, losing .*)$")


def reason_template(reason: str, name: str) -> str:
    """A resource danger's reason without what differs between resources of one kind: the
    name becomes ``{name}``, a replacement's old and new values "(`bucket` changes)"."""
    text = reason.replace(repr(name), "{name}", 1)
    match = _REPLACES.match(text)
    return f"{match[1]} (`{match[2]}` changes){match[3]}" if match else text


def _group_dangers(dangers: Any) -> list[DangerGroup]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for danger in dangers:
        name = danger.urn.rsplit("::", 1)[-1]
        grouped.setdefault((danger.type, reason_template(danger.reason, name)), []).append(name)
    return [DangerGroup(t, r, tuple(sorted(n))) for (t, r), n in grouped.items()]


def _picture(facts: Facts, judged: Sequence[Judged]) -> graph.Picture:
    highlight: dict[str, str] = {}
    removed = []
    for item in judged:
        node = graph.node_for(item.change.path)
        if node is not None:
            cls = "danger" if item.severity is Severity.DANGER else "changed"
            if highlight.get(node) != "danger":
                highlight[node] = cls
        if item.change.kind == "monitor_removed":
            monitor = item.change.path.rsplit(".", 1)[-1]
            removed.append((item.change.model or "", monitor, str(item.change.attrs.get("action"))))
    return graph.render(
        facts.spec, facts.environment, highlight, removed, monitor_words=monitor_words
    )
