"""The rules, in the order they are reported, and ``check``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mlops_spec.guardrails import ml, protection, security
from mlops_spec.guardrails.rule import Rule, Violation
from mlops_spec.guardrails.stack import Stack

RULES: tuple[Rule, ...] = (
    Rule(
        "kms",
        "Every store (buckets, tables, queues, topics, log groups, objects, endpoint storage and "
        "captures) is encrypted with a KMS key.",
        production_only=False,
        fix="the components encrypt every store with the system key; a store without one was "
        "added or changed outside the spec",
        stack_check=security.kms_everywhere,
    ),
    Rule(
        "no-public-bucket",
        "Every bucket blocks public access; no bucket policy or ACL grants it to anyone.",
        production_only=False,
        fix="keep the four public access blocks on; grant access to named principals",
        stack_check=security.no_public_bucket,
    ),
    Rule(
        "no-wildcard-action",
        "No identity policy allows '*', '<service>:*' or NotAction, nor attaches an AWS managed "
        "full-access policy.",
        production_only=False,
        fix="list the actions the role needs (the planner's grant helpers do)",
        resource_check=security.no_wildcard_action,
    ),
    Rule(
        "cost-tags",
        f"Every taggable resource carries the cost-attribution tags {', '.join(security.COST_TAGS)}.",
        production_only=False,
        fix="the components tag every resource from system.id, the stack and system.owner",
        resource_check=security.cost_tags,
    ),
    Rule(
        "capture-for-drift",
        "An endpoint whose drift monitors read captured traffic captures it, to where the "
        "monitoring job reads.",
        production_only=False,
        fix="set models.<id>.serving.data_capture_percent above 0",
        stack_check=ml.capture_for_drift,
    ),
    Rule(
        "rollback-alarms-exist",
        "Every rollback alarm an endpoint names is an alarm of the stack.",
        production_only=False,
        fix="rollback alarms come from monitors with action: rollback of the same model",
        stack_check=ml.rollback_alarms_exist,
    ),
    Rule(
        "rollback-required",
        "Production: every real-time endpoint rolls back on at least one alarm.",
        production_only=True,
        fix="add a monitor with action: rollback and keep serving.rollout.auto_rollback on",
        stack_check=ml.rollback_required,
    ),
    Rule(
        "two-instances",
        "Production: every real-time endpoint runs at least two instances.",
        production_only=True,
        fix="set models.<id>.serving.autoscaling.min_instances: 2 or more",
        stack_check=ml.two_instances,
    ),
    Rule(
        "paging",
        "Production: every alarm is enabled and notifies someone.",
        production_only=True,
        fix="keep alarm_actions_enabled on and give notifications a target",
        resource_check=ml.paging,
    ),
    Rule(
        "stateful-protected",
        "Production: buckets, keys, registries, tables, log groups and repositories are "
        "protected and retained on delete; tables refuse deletion; buckets keep their objects.",
        production_only=True,
        fix="keep protect on for the environment (the production default)",
        resource_check=protection.stateful_protected,
    ),
)
RULE_IDS = tuple(rule.id for rule in RULES)


@dataclass(frozen=True)
class CheckResult:
    production: bool
    mode: str
    """Where the stack's mode came from: ``facts`` (the plan document), ``option`` or
    ``assumed`` (a version 1 document checked as production)."""
    checked: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    """(rule, why) for rules not run."""
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "production": self.production,
            "mode": self.mode,
            "checked": list(self.checked),
            "skipped": [{"rule": rule, "why": why} for rule, why in self.skipped],
            "violations": [v.to_dict() for v in self.violations],
        }


def get_rule(rule_id: str) -> Rule:
    return next(r for r in RULES if r.id == rule_id)


def check(stack: Stack, skip: Iterable[str] = (), mode: str = "option") -> CheckResult:
    """Run every rule that applies to ``stack`` except ``skip`` (rule ids)."""
    skipped = {rule_id: "skipped with --skip" for rule_id in skip}
    if not stack.production:
        skipped.update(
            {r.id: "production only" for r in RULES if r.production_only and r.id not in skipped}
        )
    checked = [r for r in RULES if r.id not in skipped]
    return CheckResult(
        production=stack.production,
        mode=mode,
        checked=tuple(r.id for r in checked),
        skipped=tuple((r.id, skipped[r.id]) for r in RULES if r.id in skipped),
        violations=tuple(v for r in checked for v in r.violations(stack)),
    )
