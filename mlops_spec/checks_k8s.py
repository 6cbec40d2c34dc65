"""Rules of ``system.platform``: what each platform builds, and the fields that mean nothing
there (refused, located, with the field to use instead). Run per stack, after its overlay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_spec.checks import Issue
from mlops_spec.checks_k8s_batch import batch_issues
from mlops_spec.cron_k8s import CronError, to_kubernetes_cron
from mlops_spec.enums import MonitorAction
from mlops_spec.models.monitors import ScheduledMonitorBase
from mlops_spec.models.serving import BatchServing, PinnedVersion, RealtimeServing

if TYPE_CHECKING:
    from mlops_spec.models.model import Model
    from mlops_spec.models.spec import SystemSpec

Loc = tuple[str | int, ...]

ISSUE_13 = "Kubernetes training, its registry and the deploy controller are issue 13 (open)"
"""Why a spec asking for part 2 of the Kubernetes back end is refused today."""

BUILT_ROUTERS = frozenset({"none"})
"""Traffic routers the Kubernetes planner builds (the others are refused until built)."""
BUILT_TIERS = frozenset({"realtime", "serverless", "batch"})
"""Serving tiers the Kubernetes planner builds (the others are refused until built)."""

_SIZES = ("cpu", "memory_gib", "gpu")


def platform_issues(spec: SystemSpec) -> list[Issue]:
    """Every platform rule broken by one stack's spec (after its overlay)."""
    system = spec.system
    issues: list[Issue] = []
    if system.platform == "aws":
        return issues + _aws_issues(spec)
    if system.kubernetes is None:
        issues.append(
            Issue(
                ("system", "platform"),
                "platform kubernetes needs the cluster profile system.kubernetes "
                "(namespace, runtime_image, service_account, prometheus, pushgateway_url)",
                got="kubernetes",
            )
        )
    else:
        issues += _profile_issues(spec)
    issues += _notification_issues(spec)
    for model_id, model in spec.models.items():
        issues += _model_issues(spec, ("models", model_id), model)
    return issues


def _aws_issues(spec: SystemSpec) -> list[Issue]:
    issues = []
    if spec.system.kubernetes is not None:
        issues.append(
            Issue(
                ("system", "kubernetes"),
                "the cluster profile applies to platform kubernetes only; this stack runs on "
                "aws (set it in the overlay of the stacks that set platform: kubernetes)",
                got="a cluster profile",
            )
        )
    for model_id, model in spec.models.items():
        serving = model.serving
        if isinstance(serving, RealtimeServing | BatchServing):
            for size in _SIZES:
                if size in serving.model_fields_set:
                    issues.append(
                        Issue(
                            ("models", model_id, "serving", size),
                            f"{size} sizes a Kubernetes pod; on platform aws the instance "
                            "type sizes the instances",
                            got=getattr(serving, size),
                            suggestion="instance_type",
                        )
                    )
    return issues


def _profile_issues(spec: SystemSpec) -> list[Issue]:
    profile = spec.system.kubernetes
    assert profile is not None
    issues = []
    if profile.traffic_router not in BUILT_ROUTERS:
        issues.append(
            Issue(
                ("system", "kubernetes", "traffic_router"),
                "only traffic_router none is built so far (the canary's share is its share of "
                "the replicas); the others are refused until the planner builds their routes",
                got=profile.traffic_router,
                allowed=", ".join(sorted(BUILT_ROUTERS)),
            )
        )
    return issues


def _notification_issues(spec: SystemSpec) -> list[Issue]:
    notifications = spec.notifications
    refused = {
        "sns_topic_arns": (notifications.sns_topic_arns, "emails"),
        "webhook_url_ssm_parameter": (
            notifications.webhook_url_ssm_parameter,
            "system.kubernetes.alertmanager.webhook_secret",
        ),
    }
    return [
        Issue(
            ("notifications", key),
            f"{key} is an AWS channel; on platform kubernetes Alertmanager routes the alerts",
            got=value,
            suggestion=instead,
        )
        for key, (value, instead) in refused.items()
        if value
    ]


def _model_issues(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    serving = model.serving
    issues: list[Issue] = []
    if serving is not None:
        issues += _serving_issues(spec, (*base, "serving"), serving)
    for monitor_id, monitor in model.monitors.items():
        loc = (*base, "monitors", monitor_id)
        if isinstance(monitor, ScheduledMonitorBase):
            issues += _schedule_issues((*loc, "schedule"), monitor)
        if monitor.action is MonitorAction.RETRAIN:
            issues.append(
                Issue(
                    (*loc, "action"),
                    "on Kubernetes a retrain alert reaches the retraining controller, which is "
                    f"not built yet: {ISSUE_13}",
                    got="retrain",
                    allowed="notify, rollback",
                )
            )
    return issues


def _serving_issues(spec: SystemSpec, loc: Loc, serving: Any) -> list[Issue]:
    if serving.tier not in BUILT_TIERS:
        return [
            Issue(
                (*loc, "tier"),
                f"the {serving.tier} tier is not built on Kubernetes yet",
                got=serving.tier,
                allowed=", ".join(sorted(BUILT_TIERS)),
            )
        ]
    if isinstance(serving, BatchServing):
        return batch_issues(spec, loc, serving)
    issues = []
    for key, instead in (("instance_type", "cpu"), ("instance_count", "cpu")):
        if key in serving.model_fields_set:
            issues.append(
                Issue(
                    (*loc, key),
                    f"{key} means nothing on Kubernetes: size the pod with cpu, memory_gib and gpu",
                    got=getattr(serving, key),
                    suggestion=instead,
                )
            )
    profile = spec.system.kubernetes
    if getattr(serving, "gpu", 0) and profile is not None and profile.node_pools.gpu is None:
        issues.append(
            Issue(
                (*loc, "gpu"),
                "GPU pods need a GPU node pool: set system.kubernetes.node_pools.gpu",
                got=serving.gpu,
            )
        )
    if not isinstance(serving.model_version, PinnedVersion):
        issues.append(
            Issue(
                (*loc, "model_version"),
                "on Kubernetes a served version is pinned ({pinned: N}) until the deploy "
                f"controller follows latest_approved: {ISSUE_13}",
                got="latest_approved",
                allowed="{pinned: N}",
            )
        )
    return issues


def _schedule_issues(loc: Loc, holder: Any) -> list[Issue]:
    try:
        to_kubernetes_cron(holder.schedule)
    except CronError as error:
        return [Issue(loc, f"no Kubernetes cron means the same: {error}", got=holder.schedule)]
    return []
