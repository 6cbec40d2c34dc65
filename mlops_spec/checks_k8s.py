"""Rules of ``system.platform``: what each platform builds, and the fields that mean nothing
there (refused, located, with the field to use instead). Run per stack, after its overlay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_spec.checks import Issue
from mlops_spec.checks_k8s_batch import batch_issues, gpu_pool_issues
from mlops_spec.cron_k8s import CronError, to_kubernetes_cron
from mlops_spec.enums import MonitorAction, TrainingPlatform
from mlops_spec.models.monitors import ScheduledMonitorBase
from mlops_spec.models.serving import BatchServing, PinnedVersion, RealtimeServing

if TYPE_CHECKING:
    from mlops_spec.models.model import Model
    from mlops_spec.models.spec import SystemSpec

Loc = tuple[str | int, ...]

CLUSTER_REGISTRY = (
    "the loop controller follows the cluster's own registry, which only models trained on the "
    "cluster register into"
)
"""Why ``latest_approved`` and ``retrain`` need ``training.platform: kubernetes`` there."""
SAGEMAKER_TRAINING = {
    "instance_type": "cpu",
    "instance_count": "cpu",
    "private_registry": "image",
    "max_wait_minutes": "max_runtime_minutes",
}
"""Training fields that mean nothing on the cluster -> the field to use instead."""

BUILT_ROUTERS = frozenset({"none", "nginx", "gateway_api", "istio"})
"""Traffic routers the Kubernetes planner builds (the others are refused until built)."""
ROUTER_FIELDS = {"nginx": "ingress_class, domain", "gateway_api": "gateway, domain", "istio": ""}
"""Router -> the fields its block (``system.kubernetes.<router>``) must set ("": none needed)."""
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
        if model.training.platform is TrainingPlatform.KUBERNETES:
            issues.append(
                Issue(
                    ("models", model_id, "training", "platform"),
                    "a cluster trains only on a stack with system.platform: kubernetes (and "
                    "its system.kubernetes profile); this stack runs on aws",
                    got="kubernetes",
                    allowed="sagemaker",
                )
            )
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
                f"traffic_router {profile.traffic_router} is not built: the planner makes no "
                "routes for it",
                got=profile.traffic_router,
                allowed=", ".join(sorted(BUILT_ROUTERS)),
            )
        )
    return issues + _router_issues(spec)


def _router_issues(spec: SystemSpec) -> list[Issue]:
    """The chosen router's block is set (when it has required fields), no other router's
    block is, and a routed canary's percent is whole (Argo's weights are integer percents)."""
    profile = spec.system.kubernetes
    assert profile is not None
    router, base = profile.traffic_router, ("system", "kubernetes")
    issues = []
    if ROUTER_FIELDS.get(router) and getattr(profile, router) is None:
        issues.append(
            Issue(
                (*base, "traffic_router"),
                f"traffic_router {router} needs its routes: set system.kubernetes.{router} "
                f"with {ROUTER_FIELDS[router]}",
                got=router,
            )
        )
    for other in ROUTER_FIELDS:
        if other != router and getattr(profile, other) is not None:
            issues.append(
                Issue(
                    (*base, other),
                    f"{other} configures traffic_router {other}, but this stack's router is "
                    f"{router} (remove it, or set traffic_router: {other})",
                    got=f"a {other} block",
                    allowed=f"traffic_router: {other}",
                )
            )
    if router != "none":
        issues += _whole_percent_issues(spec, router)
    return issues


def _whole_percent_issues(spec: SystemSpec, router: str) -> list[Issue]:
    issues = []
    for model_id, model in spec.models.items():
        serving = model.serving
        if (
            isinstance(serving, RealtimeServing)
            and not serving.rollout.traffic_percent.is_integer()
        ):
            issues.append(
                Issue(
                    ("models", model_id, "serving", "rollout", "traffic_percent"),
                    f"with traffic_router {router} Argo Rollouts sets whole-percent weights: "
                    "write a whole number so the canary gets exactly that share",
                    got=serving.rollout.traffic_percent,
                    allowed="a whole number of percent",
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
    on_cluster = model.training.platform is TrainingPlatform.KUBERNETES
    issues: list[Issue] = []
    if serving is not None:
        issues += _serving_issues(spec, (*base, "serving"), serving, on_cluster)
    if on_cluster:
        issues += _training_issues(spec, (*base, "training"), model)
    for monitor_id, monitor in model.monitors.items():
        loc = (*base, "monitors", monitor_id)
        if isinstance(monitor, ScheduledMonitorBase):
            issues += _schedule_issues((*loc, "schedule"), monitor)
        if monitor.action is MonitorAction.RETRAIN and not on_cluster:
            issues.append(
                Issue(
                    (*loc, "action"),
                    "on Kubernetes a retrain alert reaches the loop controller, which retrains "
                    "only models trained on the cluster: set the model's training.platform: "
                    "kubernetes, or action notify",
                    got="retrain",
                    allowed="notify, rollback (retrain with training.platform: kubernetes)",
                )
            )
    return issues


def _training_issues(spec: SystemSpec, loc: Loc, model: Model) -> list[Issue]:
    """A model the cluster trains: SageMaker-only fields (the gate's transform size too), the
    GPU pool, the schedule's cron."""
    training = model.training
    issues = [
        Issue(
            (*loc, key),
            f"{key} is a SageMaker training setting and means nothing on the cluster "
            "(a Job sized by cpu, memory_gib and gpu, pulling its image with the node's "
            "credentials, stopped after max_runtime_minutes)",
            got=getattr(training, key),
            suggestion=instead,
        )
        for key, instead in SAGEMAKER_TRAINING.items()
        if _explicit_sagemaker(training, key)
    ]
    if "instance_type" in training.evaluation.model_fields_set:
        issues.append(
            Issue(
                (*loc, "evaluation", "instance_type"),
                "evaluation.instance_type sizes SageMaker's batch transform; on the cluster the "
                "candidate's model server runs in the training Job with the training size",
                got=training.evaluation.instance_type,
                suggestion="cpu",
            )
        )
    issues += gpu_pool_issues(spec, loc, training.gpu, "GPU training Jobs")
    if training.schedule is not None:
        issues += _schedule_issues((*loc, "schedule"), training)
    return issues


def _explicit_sagemaker(training: Any, key: str) -> bool:
    if key == "instance_count":
        return bool(training.instance_count > 1)
    if key == "instance_type":
        return key in training.model_fields_set and training.instance_type is not None
    return getattr(training, key) is not None


def _serving_issues(spec: SystemSpec, loc: Loc, serving: Any, on_cluster: bool) -> list[Issue]:
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
    issues += gpu_pool_issues(spec, loc, getattr(serving, "gpu", 0), "GPU pods")
    if not isinstance(serving.model_version, PinnedVersion):
        issues += _latest_issues((*loc, "model_version"), serving, on_cluster)
    return issues


def _latest_issues(loc: Loc, serving: Any, on_cluster: bool) -> list[Issue]:
    """``latest_approved`` on a cluster: the controller rolls out real-time Rollouts of the
    models the cluster trains."""
    if not on_cluster:
        reason = f"{CLUSTER_REGISTRY}: set the model's training.platform: kubernetes, or pin"
    elif not isinstance(serving, RealtimeServing):
        reason = (
            f"the loop controller rolls out the real-time tier's Rollouts only; a {serving.tier} "
            "model on Kubernetes serves a pinned version"
        )
    else:
        return []
    return [Issue(loc, reason, got="latest_approved", allowed="{pinned: N}")]


def _schedule_issues(loc: Loc, holder: Any) -> list[Issue]:
    try:
        to_kubernetes_cron(holder.schedule)
    except CronError as error:
        return [Issue(loc, f"no Kubernetes cron means the same: {error}", got=holder.schedule)]
    return []
