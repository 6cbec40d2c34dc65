"""The severity rules of a review, in one table: every ML change is info, review or danger.

Describers (``ml*.py``) state what changed and the facts around it (``MlChange.kind`` and
``attrs``); this table alone decides how much it matters. A change takes the most severe rule
that matches it; none matching means info. ``--fail-on-danger`` fails on any danger: a reviewed
danger is accepted by a pull-request label in the workflow, never by switching a rule off.

attrs the rules read (set by the describers):

* ``production``: the stack runs in production mode after the change (for ``mode``: before);
* ``old`` / ``new``: the value before and after;
* ``realtime``: the model served a real-time endpoint before the change;
* ``guard_before`` / ``guard_after``: the endpoint rolled back automatically before / after
  (auto_rollback on and at least one rollback monitor);
* ``retrain_before`` / ``retrain_after``: monitors with action retrain before / after;
* ``weaker``, ``less_sensitive``, ``shrinks``, ``moved_from``: what their names say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from mlops_spec.review.change import MlChange


class Severity(IntEnum):
    INFO = 0
    REVIEW = 1
    DANGER = 2

    @property
    def label(self) -> str:
        return self.name.lower()


Attrs = Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    """``severity`` for changes of ``kinds`` when ``when(attrs)`` holds; ``why`` is shown."""

    name: str
    kinds: frozenset[str]
    severity: Severity
    when: Callable[[Attrs], bool]
    why: str


def _rule(name: str, kinds: str, severity: Severity, when: Callable[[Attrs], bool], why: str):
    return Rule(name, frozenset(kinds.split()), severity, when, why)


def _guard_lost(a: Attrs) -> bool:
    return bool(a.get("production") and a.get("guard_before") and not a.get("guard_after"))


def _retrain_lost(a: Attrs) -> bool:
    return bool(a.get("retrain_before")) and not a.get("retrain_after")


_MONITOR_KINDS = "monitor_removed monitor_action monitor_type"
_ENDPOINT_KINDS = f"{_MONITOR_KINDS} auto_rollback tier"

D, R = Severity.DANGER, Severity.REVIEW

RULES: tuple[Rule, ...] = (
    # --- dangers: merging needs a reviewer to accept them (label mlops/accept-danger) ---
    _rule("rollback-guard-lost", _ENDPOINT_KINDS, D, _guard_lost,
          "the production endpoint no longer rolls back a bad version on its own"),
    _rule("paging-off-in-production", "paging", D,
          lambda a: bool(a.get("production") and a.get("old") and not a.get("new")),
          "alarms stop notifying and paging in production"),
    _rule("switched-to-development", "mode", D,
          lambda a: a.get("old") == "production" and a.get("new") == "development",
          "a production stack loses protection, paging and schedules"),
    _rule("renamed-without-moved-from", "model_renamed", D, lambda a: not a.get("moved_from"),
          "without moved_from every stateful resource of the model is deleted and recreated"),
    _rule("retrain-loop-removed", _MONITOR_KINDS, D,
          lambda a: bool(a.get("production")) and _retrain_lost(a),
          "drift no longer starts retraining in production"),
    _rule("auto-approval-in-production", "approval", D,
          lambda a: bool(a.get("production")) and a.get("new") == "auto",
          "every candidate that passes the gate goes to production without a person"),
    _rule("endpoint-left-running", "endpoint_left_running", D, lambda a: True,
          "the deploy function created it, so Pulumi does not delete it"),
    _rule("stateful-resource", "resource_danger", D, lambda a: True,
          "data or serving capacity can be lost"),
    # --- review: a person should look ---
    _rule("rollback-weakened", _ENDPOINT_KINDS, R,
          lambda a: bool(a.get("guard_before") and not a.get("guard_after")),
          "the endpoint no longer rolls back on its own"),
    _rule("retrain-loop-removed-outside-production", _MONITOR_KINDS, R, _retrain_lost,
          "drift no longer starts retraining"),
    _rule("monitor-removed", "monitor_removed monitor_type", R, lambda a: True,
          "a watched signal is no longer watched"),
    _rule("monitor-less-sensitive", "monitor_threshold monitor_window", R,
          lambda a: bool(a.get("production") and a.get("less_sensitive")),
          "alarms later in production"),
    _rule("gate-weaker", "gate", R, lambda a: bool(a.get("weaker")),
          "weaker candidates can be promoted"),
    _rule("model-version-in-production", "model_version", R,
          lambda a: bool(a.get("production")), "changes what production serves at merge"),
    _rule("capacity-shrinks-in-production", "capacity", R,
          lambda a: bool(a.get("production") and a.get("shrinks")),
          "less capacity in production"),
    _rule("capture-off-with-drift-monitors", "data_capture", R,
          lambda a: bool(a.get("drift_monitors")) and not a.get("new"),
          "drift monitors get no data"),
    _rule("to-production", "mode", R, lambda a: a.get("new") == "production",
          "production rules apply from now on"),
    _rule("protection-off-in-production", "protect", R,
          lambda a: bool(a.get("production")) and not a.get("new"),
          "stateful resources can be deleted"),
    _rule("schedules-paused-in-production", "schedules", R,
          lambda a: bool(a.get("production")) and not a.get("new"),
          "training, batch and monitoring schedules stop"),
    _rule("model-or-serving-removed", "model_removed serving_removed tier", R, lambda a: True,
          "what is served changes"),
    _rule("renamed", "model_renamed", R, lambda a: True, "resources keep their identity"),
    _rule("training-data-changed", "training_inputs", R, lambda a: True,
          "the next model learns from other data"),
    _rule("registry-shared", "cross_account", R, lambda a: bool(a.get("added")),
          "other accounts can read model packages"),
    _rule("rollout-all-at-once-in-production", "rollout_strategy", R,
          lambda a: bool(a.get("production")) and a.get("new") == "all_at_once",
          "a new version takes all production traffic at once"),
    _rule("channels-removed-in-production", "notifications", R,
          lambda a: bool(a.get("production") and a.get("removed")),
          "fewer people are told when an alarm fires"),
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    rule: str | None
    why: str


def judge(change: MlChange, rules: tuple[Rule, ...] = RULES) -> Verdict:
    """The most severe rule matching ``change`` (the first of equals), else info."""
    best: Rule | None = None
    for rule in rules:
        matches = change.kind in rule.kinds and rule.when(change.attrs)
        if matches and (best is None or rule.severity > best.severity):
            best = rule
    if best is None:
        return Verdict(Severity.INFO, None, "")
    return Verdict(best.severity, best.name, best.why)
