"""Policy documents and JSON templates as plain data.

Every ARN the planner cannot know (the account id, the KMS key's ARN) is written as a
``${account}`` / ``${key_arn}`` placeholder; components fill them in from resource outputs with
:func:`render`. Everything else, including the partition and region, is decided here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from string import Template
from typing import Any, Literal, ParamSpec, TypeVar, cast

from mlops_spec import regions

PLACEHOLDERS = ("account", "key_arn")
"""The only values documents leave open; components supply them."""

ACCOUNT = "${account}"
KEY_ARN = "${key_arn}"

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""``json.dumps(value, sort_keys=True, separators=(",", ":"))``, its encoder built once (the
planner writes thousands of documents per stack)."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def shared(builder: Callable[_P, _R]) -> Callable[_P, _R]:
    """``builder`` memoised, for builders of immutable values (frozen statements in tuples)
    the planner asks for again and again with the same arguments (the same trust, key and
    bucket grants for role after role): equal results, built once and shared."""
    return cast("Callable[_P, _R]", lru_cache(maxsize=4096)(builder))


@dataclass(frozen=True)
class Condition:
    """One IAM condition: ``{operator: {key: values}}``."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement. ``principals`` only in resource policies."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    effect: Literal["Allow", "Deny"] = "Allow"
    conditions: tuple[Condition, ...] = ()
    principals: tuple[tuple[str, str], ...] = ()
    """(type, value) pairs: ("Service", "logs.amazonaws.com"), ("AWS", "arn:..."), ("*", "*")."""

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"Sid": self.sid, "Effect": self.effect}
        if self.principals:
            if self.principals == (("*", "*"),):
                doc["Principal"] = "*"
            else:
                grouped: dict[str, list[str]] = {}
                for kind, value in self.principals:
                    grouped.setdefault(kind, []).append(value)
                doc["Principal"] = {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}
        doc["Action"] = list(self.actions) if len(self.actions) > 1 else self.actions[0]
        if self.resources:  # trust policies have none
            doc["Resource"] = list(self.resources) if len(self.resources) > 1 else self.resources[0]
        if self.conditions:
            block: dict[str, dict[str, Any]] = {}
            for c in self.conditions:
                block.setdefault(c.operator, {})[c.key] = (
                    list(c.values) if len(c.values) > 1 else c.values[0]
                )
            doc["Condition"] = block
        return doc


@dataclass(frozen=True)
class PolicyDocument:
    """An IAM policy (identity or resource policy) with placeholders."""

    statements: tuple[Statement, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [s.to_dict() for s in self.statements]}

    def to_json(self) -> str:
        """Canonical JSON text, placeholders unfilled (feed it to :func:`render`)."""
        return _CANONICAL.encode(self.to_dict())

    def __add__(self, other: PolicyDocument) -> PolicyDocument:
        return PolicyDocument(self.statements + other.statements)


def canonical_json(value: Any) -> str:
    """Deterministic JSON text (sorted keys, no whitespace)."""
    return _CANONICAL.encode(value)


def render(template: str, refs: Mapping[str, str]) -> str:
    """Fill ``${account}`` and ``${key_arn}`` in a document; a missing ref is an error."""
    missing = [name for name in PLACEHOLDERS if name not in refs]
    if missing:
        raise KeyError(f"render needs {missing}")
    return Template(template).substitute({k: refs[k] for k in PLACEHOLDERS})


@shared
def trust_policy(
    service: str, *, source_account: bool = False, source_arn: str | None = None
) -> PolicyDocument:
    """An assume-role policy for one AWS service principal.

    ``source_account`` adds the confused-deputy guard ``aws:SourceAccount`` and ``source_arn``
    the guard ``aws:SourceArn`` (``ArnLike``); only services that document them for role trust
    (EventBridge Scheduler, SageMaker) get them, others would fail to assume.
    """
    conditions: tuple[Condition, ...] = ()
    if source_account:
        conditions += (Condition("StringEquals", "aws:SourceAccount", (ACCOUNT,)),)
    if source_arn:
        conditions += (Condition("ArnLike", "aws:SourceArn", (source_arn,)),)
    return PolicyDocument(
        (
            Statement(
                sid="AssumeRole",
                actions=("sts:AssumeRole",),
                resources=(),
                principals=(("Service", service),),
                conditions=conditions,
            ),
        )
    )


def partition_of(region: str) -> str:
    """The AWS partition of a region code (botocore's endpoint data: ``mlops_spec.regions``)."""
    return regions.partition(region).name
