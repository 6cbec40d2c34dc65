"""What a blue/green rollout can be on SageMaker, decided from the spec alone (pure).

SageMaker's limits, from botocore's service model (``TrafficRoutingConfig``,
``BlueGreenUpdatePolicy``) and the deployment-guardrails guide:

- ``CanarySize`` is at most 50% of the variant's instances; ``LinearStepSize`` 10-50%;
- traffic moves a whole instance at a time (a step turns on a portion of the green fleet and
  turns off the same portion of the blue one), so a step smaller than one instance of the fleet
  cannot be honoured: a fleet of one instance can only roll out all at once;
- ``MaximumExecutionTimeoutInSeconds`` (600-28800) bounds the whole deployment, and must
  exceed its waits: every traffic shift is followed by a bake (``WaitIntervalInSeconds``:
  once all at once, twice for a canary, once per step for linear), then the old fleet is kept
  ``TerminationWaitInSeconds``; the green fleet must first be provisioned.

Steps are checked against the smallest fleet a stack runs (``autoscaling.min_instances``
after its overlay): where it is larger (autoscaling scaled out) each step holds more
instances, never fewer. A rollout the spec does not write (neither ``strategy`` nor
``traffic_percent``) is the default canary sized to the fleet: 10% of it, or one instance
when 10% is less than one (50% of two instances), and all at once on a single instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from mlops_spec.enums import RolloutStrategy
from mlops_spec.models.serving import RealtimeServing

CANARY_MAX_PERCENT = 50
LINEAR_MIN_PERCENT = 10
LINEAR_MAX_PERCENT = 50
TIMEOUT_MIN_MINUTES = 10
TIMEOUT_MAX_MINUTES = 480
"""MaximumExecutionTimeoutInSeconds: 600-28800 seconds (botocore's BlueGreenUpdatePolicy)."""
PROVISIONING_MINUTES = 20
"""The budget's allowance for launching the green fleet and passing its health checks before
the first shift (AWS gives no figure; CPU instances with a small container take 5-10
minutes, so 20 leaves room; a large GPU container may need more: lengthen bake_minutes)."""
BAKES = {RolloutStrategy.ALL_AT_ONCE: 1, RolloutStrategy.CANARY: 2}
"""Bakes of a strategy with a fixed number of shifts (linear: one per step)."""


@dataclass(frozen=True)
class Shifting:
    """The traffic shifting a rollout plans: strategy, step (percent of the fleet) and the
    whole rollout's budget (MaximumExecutionTimeoutInSeconds, in minutes)."""

    strategy: RolloutStrategy
    step_percent: int
    max_rollout_minutes: int


@dataclass(frozen=True)
class RolloutProblem:
    """One limit a written rollout breaks, located at a field of ``serving``."""

    field: tuple[str, ...]
    message: str
    got: str
    allowed: str


def written(serving: RealtimeServing) -> bool:
    """True when the spec writes the rollout's strategy or size (else the default canary)."""
    return bool({"strategy", "traffic_percent"} & serving.rollout.model_fields_set)


def one_instance_percent(instances: int) -> int:
    """The smallest whole percentage of ``instances`` that holds one instance."""
    return ceil(100 / instances)


def bakes(strategy: RolloutStrategy, step_percent: int) -> int:
    return BAKES.get(strategy) or ceil(100 / step_percent)


def shifting(serving: RealtimeServing) -> Shifting:
    """The rollout SageMaker is asked for: the written one, or the default canary sized to
    the fleet; its budget covers provisioning, every bake and the termination wait."""
    rollout, fleet = serving.rollout, serving.autoscaling.min_instances
    strategy, step = rollout.strategy, max(1, round(rollout.traffic_percent))
    if not written(serving):
        if fleet < 2:
            strategy = RolloutStrategy.ALL_AT_ONCE
        else:
            step = max(step, one_instance_percent(fleet))
    waits = bakes(strategy, step) * rollout.bake_minutes + rollout.termination_wait_minutes
    budget = max(TIMEOUT_MIN_MINUTES, PROVISIONING_MINUTES + waits)
    return Shifting(strategy, step, budget)


def problems(serving: RealtimeServing) -> list[RolloutProblem]:
    """Every limit the stack's rollout breaks (empty for a rollout SageMaker can run)."""
    found = _size_problems(serving) if written(serving) else []
    plan = shifting(serving)
    if plan.max_rollout_minutes > TIMEOUT_MAX_MINUTES:
        rollout = serving.rollout
        found.append(
            RolloutProblem(
                ("rollout", "bake_minutes"),
                f"the rollout needs {plan.max_rollout_minutes} minutes ({PROVISIONING_MINUTES} "
                f"to start the new fleet, {bakes(plan.strategy, plan.step_percent)} bakes of "
                f"{rollout.bake_minutes}, a termination wait of "
                f"{rollout.termination_wait_minutes}); SageMaker stops a deployment after "
                f"{TIMEOUT_MAX_MINUTES} (MaximumExecutionTimeoutInSeconds)",
                str(rollout.bake_minutes),
                "shorter bakes or termination wait, or fewer (larger) linear steps",
            )
        )
    return found


def _size_problems(serving: RealtimeServing) -> list[RolloutProblem]:
    """A written canary or linear step: SageMaker's bounds, and one instance at least."""
    rollout, fleet = serving.rollout, serving.autoscaling.min_instances
    strategy, step = rollout.strategy, max(1, round(rollout.traffic_percent))
    if strategy is RolloutStrategy.ALL_AT_ONCE:
        return []
    if fleet < 2:
        return [
            RolloutProblem(
                ("rollout", "strategy"),
                f"a {strategy} rollout moves part of the traffic, but this stack runs one "
                "instance (autoscaling.min_instances: 1) and traffic moves a whole instance "
                "at a time",
                str(strategy),
                "all_at_once, or autoscaling.min_instances: 2 or more",
            )
        ]
    low = LINEAR_MIN_PERCENT if strategy is RolloutStrategy.LINEAR else 1
    high = LINEAR_MAX_PERCENT if strategy is RolloutStrategy.LINEAR else CANARY_MAX_PERCENT
    smallest = max(low, one_instance_percent(fleet))  # at most 50 for 2 instances or more
    if smallest <= step <= high:
        return []
    if not low <= step <= high:
        bounds = f"{low}-{high}%" if strategy is RolloutStrategy.LINEAR else f"at most {high}%"
        reason = f"SageMaker allows a {strategy} step of {bounds} of the instances"
    else:
        reason = (
            f"{step}% of {fleet} instances (autoscaling.min_instances) is less than one "
            "instance, and traffic moves a whole instance at a time"
        )
    return [
        RolloutProblem(
            ("rollout", "traffic_percent"),
            reason,
            f"{rollout.traffic_percent:g}",
            f"{smallest if smallest == high else f'{smallest}-{high}'} with {fleet} instances "
            "(or more instances, or strategy: all_at_once)",
        )
    ]
