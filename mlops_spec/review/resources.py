"""The resource diff as a reviewer reads it: lists keyed by identity, identical changes grouped.

``mlops_preview.diff`` matches resources (by URN and alias), finds what replaces what and the
dangers; this module re-reads each changed resource's inputs so that list items are matched by
what they are, not where they are: IAM statements by ``Sid``, alarms and steps by name, lists of
plain values as sets (``alarmActions[+]: "arn:..."``). Removing one statement then reads as that
statement removed, not as every later one changed. Resources whose changes are identical are one
group ("11 x CloudWatch alarm: `actionsEnabled` true -> false").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlops_preview.diff import PlanDiff, ResourceChange
from mlops_preview.document import PlanDocument, PlannedResource
from mlops_spec.review.text import shorten, shorten_pair, value_text

IDENTITY_KEYS = (
    "Sid",
    "Name",
    "name",
    "AlarmName",
    "alarmName",
    "VariantName",
    "variantName",
    "ChannelName",
    "channelName",
    "Id",
    "id",
    "Key",
    "key",
)
"""Keys that name a list item, tried in this order; the first that every item of both lists
has, with values unique within each list, keys the comparison."""

TYPE_NAMES = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": "CloudWatch alarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "composite alarm",
    "aws:cloudwatch/dashboard:Dashboard": "dashboard",
    "aws:cloudwatch/eventRule:EventRule": "EventBridge rule",
    "aws:cloudwatch/eventTarget:EventTarget": "EventBridge target",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:iam/role:Role": "IAM role",
    "aws:iam/rolePolicy:RolePolicy": "IAM role policy",
    "aws:kms/key:Key": "KMS key",
    "aws:lambda/function:Function": "Lambda function",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:s3/bucketObjectv2:BucketObjectv2": "S3 object",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket policy",
    "aws:sagemaker/endpoint:Endpoint": "SageMaker endpoint",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "endpoint configuration",
    "aws:sagemaker/model:Model": "SageMaker model",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "model package group",
    "aws:sagemaker/pipeline:Pipeline": "SageMaker pipeline",
    "aws:scheduler/schedule:Schedule": "schedule",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:dynamodb/table:Table": "DynamoDB table",
    "pulumi-python:dynamic/mlops:Endpoint": "SageMaker endpoint",
    "pulumi-python:dynamic/mlops:EndpointTeardown": "endpoint teardown",
}


def type_name(type_: str) -> str:
    """A resource type in words ("CloudWatch alarm"), else its last segment."""
    return TYPE_NAMES.get(type_) or type_.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class Line:
    """One changed value of a resource (``kind``: added, removed, changed)."""

    path: str
    kind: str
    old: Any = None
    new: Any = None
    replaces: bool = False

    def render(self, width: int, values: bool = True) -> str:
        label = f"`{self.path}`" + (" (forces replacement)" if self.replaces else "")
        if not values:
            return label
        if self.kind == "added":
            return f"{label}: + {_code(shorten(value_text(self.new), width))}"
        if self.kind == "removed":
            return f"{label}: - {_code(shorten(value_text(self.old), width))}"
        old, new = shorten_pair(value_text(self.old), value_text(self.new), width)
        return f"{label}: {_code(old)} -> {_code(new)}"


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


@dataclass(frozen=True)
class Entry:
    """One resource added, deleted, changed or replaced, with its changed values."""

    action: str  # add | delete | change | replace
    type: str
    name: str
    lines: tuple[Line, ...] = ()
    renamed_from: str | None = None


def entries(diff: PlanDiff, base: PlanDocument, head: PlanDocument) -> list[Entry]:
    """Every resource the diff touches, in the order: delete, replace, change, add."""
    old = _base_by_head_urn(base, head)
    found = [Entry("delete", r.type, r.name) for r in diff.removed]
    by_urn = {r.urn: r for r in base.resources}
    for change in diff.changed:
        before = by_urn.get(change.old_urn) if change.old_urn else old.get(change.urn)
        found.append(_changed(change, before, head.resource(change.urn)))
    found += [Entry("add", r.type, r.name) for r in diff.added]
    order = {"delete": 0, "replace": 1, "change": 2, "add": 3}
    return sorted(found, key=lambda e: (order[e.action], e.type, e.name))


def _base_by_head_urn(base: PlanDocument, head: PlanDocument) -> dict[str, PlannedResource]:
    prefix = f"urn:pulumi:{head.stack}::{head.project}::"
    return {prefix + r.urn.split("::", 2)[2]: r for r in base.resources}


def _changed(
    change: ResourceChange, before: PlannedResource | None, after: PlannedResource
) -> Entry:
    if before is None:
        lines = [Line(c.path, c.kind, c.old, c.new) for c in change.inputs]
    else:
        lines = list(keyed_changes(before.inputs, after.inputs))
    replaced = set(change.replaces)
    lines = [
        Line(x.path, x.kind, x.old, x.new, replaces=_top(x.path) in {_top(p) for p in replaced})
        for x in lines
    ]
    lines += [_option(c.path, c.kind, c.old, c.new) for c in change.options]
    renamed = change.old_urn.rsplit("::", 1)[-1] if change.old_urn else None
    action = "replace" if change.replaces else "change"
    return Entry(action, change.type, change.name, tuple(lines), renamed)


def _top(path: str) -> str:
    for index, char in enumerate(path):
        if char in ".[<":
            return path[:index]
    return path


def _option(path: str, kind: str, old: Any, new: Any) -> Line:
    if path == "depends_on":  # URNs: the resource's name is what a reviewer recognises
        urn = str(new if kind == "added" else old)
        name = urn.rsplit("::", 1)[-1]
        return Line("option depends_on", kind, name if kind == "removed" else None, name)
    return Line(f"option {path}", kind, old, new)


def keyed_changes(old: Any, new: Any, path: str = "") -> Iterator[Line]:
    """Leaf differences of two JSON values; list items matched by identity where they have one."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else key
            if key not in new:
                yield Line(sub, "removed", old[key])
            elif key not in old:
                yield Line(sub, "added", None, new[key])
            else:
                yield from keyed_changes(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _list_changes(old, new, path)
    elif isinstance(old, str) and isinstance(new, str) and old != new and _is_json_pair(old, new):
        yield from keyed_changes(json.loads(old), json.loads(new), f"{path}<json>")
    elif old != new or type(old) is not type(new):
        yield Line(path, "changed", old, new)


def _list_changes(old: list[Any], new: list[Any], path: str) -> Iterator[Line]:
    key = identity_key(old, new)
    if key is not None:
        before = {item[key]: item for item in old}
        after = {item[key]: item for item in new}
        for ident in [*after, *(i for i in before if i not in after)]:
            sub = f"{path}[{key}={ident}]"
            if ident not in after:
                yield Line(sub, "removed", before[ident])
            elif ident not in before:
                yield Line(sub, "added", None, after[ident])
            else:
                yield from keyed_changes(before[ident], after[ident], sub)
        return
    if _unique_scalars(old) and _unique_scalars(new) and (set(old) != set(new)):
        yield from (Line(f"{path}[+]", "added", None, v) for v in new if v not in set(old))
        yield from (Line(f"{path}[-]", "removed", v) for v in old if v not in set(new))
        return
    if _unique_scalars(old) and _unique_scalars(new) and old != new:
        yield Line(f"{path} (order)", "changed", old, new)
        return
    for index in range(max(len(old), len(new))):
        sub = f"{path}[{index}]"
        if index >= len(new):
            yield Line(sub, "removed", old[index])
        elif index >= len(old):
            yield Line(sub, "added", None, new[index])
        else:
            yield from keyed_changes(old[index], new[index], sub)


def identity_key(old: list[Any], new: list[Any]) -> str | None:
    """The first of ``IDENTITY_KEYS`` naming every item of both lists uniquely, else None."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in IDENTITY_KEYS:
        named = all(isinstance(item.get(key), str | int) for item in items)
        if named and all(len({item[key] for item in side}) == len(side) for side in (old, new)):
            return key
    return None


def _unique_scalars(items: list[Any]) -> bool:
    return all(isinstance(v, str | int | float | bool) for v in items) and len(set(items)) == len(
        items
    )


def _is_json_pair(old: str, new: str) -> bool:
    if not (old[:1] in "{[" and old[:1] == new[:1]):
        return False
    try:
        json.loads(old), json.loads(new)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Group:
    """Resources of one type with the same action and identical changes."""

    action: str
    type: str
    names: tuple[str, ...]
    lines: tuple[Line, ...]


def groups(found: list[Entry]) -> list[Group]:
    """Entries grouped by (action, type, changes), in the entries' order."""
    keyed: dict[tuple[Any, ...], list[Entry]] = {}
    for entry in found:
        key = (entry.action, entry.type, tuple(_line_key(x) for x in entry.lines))
        keyed.setdefault(key, []).append(entry)
    return [
        Group(action, type_, tuple(e.name for e in members), members[0].lines)
        for (action, type_, _), members in keyed.items()
    ]


def _line_key(line: Line) -> tuple[str, str, str, str, bool]:
    return (line.path, line.kind, value_text(line.old), value_text(line.new), line.replaces)
