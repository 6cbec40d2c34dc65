"""An Argo Rollouts canary with the spec's rollout, and its rollback analysis.

The steps follow SageMaker's blue/green shifting (``RolloutPlan``): a canary shifts
``traffic_percent``, bakes, then shifts everything and bakes again; linear shifts one step at a
time, baking after each; all at once shifts everything and bakes once. The last bake runs at
100% so a rollback alert during it still aborts the rollout, as SageMaker's final bake does.
A background analysis runs through every step and asks Prometheus whether any of the model's
``rollback`` alerts is firing, so "the monitor fired" means the same for paging and rollback.

Without a traffic router (``traffic_router: none``) Argo sets a weight by scaling: the canary
gets ``ceil(replicas x weight / 100)`` pods and the Service spreads requests over all pods, so
the share of requests is the share of pods (``effective_share``; the plan prints it).
"""

from __future__ import annotations

from math import ceil
from typing import Any

from mlops_spec.enums import RolloutStrategy
from mlops_spec.models.serving import Rollout
from mlops_spec.plan.k8s.monitors import ROLLBACK_SUCCESS_CONDITION
from mlops_spec.rollout_limits import PROVISIONING_MINUTES

ANALYSIS_INTERVAL = "1m"
"""How often the analysis asks Prometheus (the alert rules' own evaluation is the delay)."""


def weights(rollout: Rollout) -> list[float]:
    """The traffic percentages the rollout shifts to, in order (the last is 100)."""
    if rollout.strategy is RolloutStrategy.ALL_AT_ONCE:
        return [100.0]
    if rollout.strategy is RolloutStrategy.CANARY:
        return [rollout.traffic_percent, 100.0]
    shares, share = [], rollout.traffic_percent
    while share < 100:
        shares.append(share)
        share += rollout.traffic_percent
    return [*shares, 100.0]


def _weight(percent: float) -> int:
    """Argo's setWeight is an integer percent; a fraction is rounded up (a larger canary)."""
    return min(100, ceil(percent))


def steps(rollout: Rollout) -> list[dict[str, Any]]:
    """setWeight / pause steps: every shift followed by its bake."""
    bake = {"pause": {"duration": f"{rollout.bake_minutes}m"}} if rollout.bake_minutes else None
    result: list[dict[str, Any]] = []
    for percent in weights(rollout):
        result.append({"setWeight": _weight(percent)})
        if bake:
            result.append(bake)
    return result


def effective_share(weight: float, replicas: int) -> tuple[int, float]:
    """(canary pods, percent of requests) when ``replicas`` pods serve at ``weight``% without a
    traffic router."""
    canary = min(replicas, ceil(replicas * _weight(weight) / 100))
    return canary, round(100 * canary / replicas, 1)


def canary_strategy(rollout: Rollout, analysis: str | None) -> dict[str, Any]:
    """``spec.strategy.canary`` of the Rollout (no traffic router)."""
    canary: dict[str, Any] = {
        "maxSurge": "25%",
        "maxUnavailable": 0,
        "steps": steps(rollout),
    }
    if analysis:
        canary["analysis"] = {"templates": [{"templateName": analysis}]}
    return canary


def rollout_spec(
    template: dict[str, Any],
    selector: dict[str, str],
    strategy: dict[str, Any],
    replicas: int | None,
) -> dict[str, Any]:
    """``spec`` of the Rollout; ``replicas`` None when KEDA scales it (never both)."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "template": template,
        "strategy": {"canary": strategy},
        "progressDeadlineSeconds": PROVISIONING_MINUTES * 60,
        "progressDeadlineAbort": True,
        "revisionHistoryLimit": 3,
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return spec


def analysis_template(prometheus_url: str, query: str) -> dict[str, Any]:
    """``spec`` of the AnalysisTemplate: fail at the first sample with a firing alert."""
    return {
        "metrics": [
            {
                "name": "rollback-alerts",
                "interval": ANALYSIS_INTERVAL,
                "failureLimit": 0,
                "successCondition": ROLLBACK_SUCCESS_CONDITION,
                "provider": {"prometheus": {"address": prometheus_url, "query": query}},
            }
        ]
    }
