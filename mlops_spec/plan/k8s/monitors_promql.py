"""PromQL of the Kubernetes alerts: one breach condition per monitor type, with the semantics of
the CloudWatch alarm ``mlops_spec.plan.alarms`` builds for the same monitor.

A CloudWatch alarm turns each period into one datapoint and alarms when ``M`` of the last
``N`` datapoints breach. Here the breach condition is an instant expression that yields a
sample when the period ending at the evaluation time breaches and nothing otherwise (no
traffic, no push, below the threshold); ``windowed`` evaluates it at the last ``N`` period
ends (a subquery's steps are aligned to multiples of its step, like CloudWatch's periods) and
fires when at least ``M`` of them breach. A period without data yields no sample, which is
CloudWatch's ``notBreaching`` and ``missing`` alike: neither alarms.

Series come from three places, each named once: the ``mlops-proxy`` sidecar
(``mlops_runtime.contract.prometheus``), the monitoring job through the Pushgateway (the
job's CloudWatch names and dimensions, ``mlops_runtime.contract.metrics``, plus the
Pushgateway's ``push_time_seconds``), and the cluster's own exporters (``EXTERNAL_SERIES``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract import prometheus as pm
from mlops_runtime.contract import pushgateway as pg

MIN_RATE_WINDOW_SECONDS = 60
"""Shortest ``rate``/``increase`` window: periods of 10 and 30 s (CloudWatch's high
resolution) read one minute, as a 30 s scrape interval leaves fewer than two samples in a
shorter window (``rate`` needs two)."""

PUSH_TIME = pg.PUSH_TIME
JOB_LABEL = pg.JOB_LABEL

# Third-party series (the resource monitors): cAdvisor (kubelet), kube-state-metrics, and
# NVIDIA's DCGM exporter for GPUs.
CPU_USAGE = "container_cpu_usage_seconds_total"
MEMORY_WORKING_SET = "container_memory_working_set_bytes"
FS_USAGE = "container_fs_usage_bytes"
REQUESTS = "kube_pod_container_resource_requests"
LIMITS = "kube_pod_container_resource_limits"
GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
EXTERNAL_SERIES = {
    CPU_USAGE: "cAdvisor (kubelet)",
    MEMORY_WORKING_SET: "cAdvisor (kubelet)",
    FS_USAGE: "cAdvisor (kubelet)",
    REQUESTS: "kube-state-metrics",
    LIMITS: "kube-state-metrics",
    GPU_UTIL: "NVIDIA DCGM exporter",
    PUSH_TIME: "Prometheus Pushgateway",
}
"""Series the alerts read that neither the proxy nor the job publishes, and who does."""

CAPACITY = {
    "cpu": (REQUESTS, "cpu"),
    "memory": (LIMITS, "memory"),
    "disk": (LIMITS, "ephemeral_storage"),
}
"""Utilisation of the model container as a share of what it was given: CPU of its request
(CPU limits are usually unset), memory and disk of their limits (what kills or evicts it):
resource -> (kube-state-metrics series, its ``resource`` label)."""


def quote(value: str) -> str:
    """A PromQL string literal (double-quoted, escaped)."""
    return json.dumps(value)


def matchers(*pairs: tuple[str, str], regex: tuple[tuple[str, str], ...] = ()) -> str:
    """``name="value",...`` then ``name=~"regex",...``."""
    parts = [f"{name}={quote(value)}" for name, value in pairs]
    parts += [f"{name}=~{quote(value)}" for name, value in regex]
    return ",".join(parts)


def duration(seconds: int) -> str:
    """A PromQL duration in whole seconds (``899s``)."""
    return f"{int(seconds)}s"


def number(value: float) -> str:
    """A float literal PromQL reads back exactly (``repr`` round-trips)."""
    return repr(float(value))


@dataclass(frozen=True)
class Scope:
    """Where a model's series are: its namespace, model id, workload and container, and the
    job's grouping labels."""

    namespace: str
    model: str
    workload: str
    """The model's workload (Rollout) name: its pods are ``<workload>-<hash>-<suffix>``."""
    container: str
    """The model container's name in the pod (the resource monitors watch it)."""
    job: str
    """The job's metric namespace: the Pushgateway ``job`` label."""
    environment: str
    serverless: bool = False
    """The workload is a Knative Service: its pods are its revisions' (``knative_pods``)."""

    @property
    def proxy(self) -> str:
        return matchers(("namespace", self.namespace), (pm.MODEL_LABEL, self.model))

    @property
    def pods(self) -> str:
        """The model container of the workload's pods (ReplicaSet pods: two generated
        suffixes, so ``churn`` never matches the pods of ``churn-v2``)."""
        pod = (
            knative_pods(self.workload)
            if self.serverless
            else f"{self.workload}-[a-z0-9]+-[a-z0-9]+"
        )
        return matchers(
            ("namespace", self.namespace), ("container", self.container), regex=(("pod", pod),)
        )

    def pushed(self, *extra: tuple[str, str]) -> str:
        return matchers(
            (JOB_LABEL, self.job),
            (mm.MODEL, self.model),
            *extra,
            (mm.ENVIRONMENT, self.environment),
        )


def knative_pods(service: str) -> str:
    """The pods of a Knative Service's revisions. Knative names the revision
    ``<service>-<generation, 5+ digits>``, its Deployment ``<revision>-deployment``, each name
    over 63 characters as ``kmeta.ChildName`` does (the parent cut to ``63 - 32 - len(suffix)``
    characters plus its MD5 in hex: knative/serving ``configuration/resources/revision.go``,
    ``revision/resources/names``); a pod is ``<deployment>-<ReplicaSet hash>-<suffix>``, its
    generated part cut to 58 characters before the 5-character suffix."""
    if len(service) <= 28:  # nothing cut (generations up to 999999): the whole shape
        return f"{service}-[0-9]{{5,}}-deployment-[a-z0-9]+-[a-z0-9]+"
    shapes = []
    if len(service) <= 46:  # the Deployment's name whole (a revision of 52 at most), the pod's cut
        shapes.append(f"{service}-[0-9]{{5,}}-d[-a-z0-9]*")
    if len(service) >= 46:  # the Deployment's name hashed: its head, the MD5, "-deplo", a suffix
        shapes.append(f"{service[:20]}[0-9a-f]{{32}}-deplo[a-z0-9]{{5}}")
    return "|".join(shapes)


def windowed(breach: str, periods: int, datapoints: int, period_seconds: int) -> str:
    """Alarm when ``datapoints`` of the last ``periods`` period ends breach. The range is one
    second short of ``periods`` periods, so it holds exactly ``periods`` aligned steps whether
    the range's start is inclusive (Prometheus 2) or not (Prometheus 3)."""
    span = duration(periods * period_seconds - 1)
    return f"count_over_time(({breach})[{span}:{duration(period_seconds)}]) >= {datapoints}"


def rate_window(period_seconds: int) -> str:
    return duration(max(period_seconds, MIN_RATE_WINDOW_SECONDS))


def latency(scope: Scope, quantile: float, threshold_seconds: float, period: int) -> str:
    """The period's latency percentile (the proxy's histogram) above the threshold. Without
    requests the quantile is NaN, which breaches nothing (``notBreaching``)."""
    buckets = f"{pm.REQUEST_DURATION}_bucket{{{scope.proxy}}}"
    rates = f"sum by (le) (rate({buckets}[{rate_window(period)}]))"
    return f"histogram_quantile({number(quantile)}, {rates}) > {number(threshold_seconds)}"


def error_rate(scope: Scope, threshold_percent: float, include_4xx: bool, period: int) -> str:
    """Percent of invocations answered 5xx (and 4xx): 0/0 without requests is no sample."""
    codes = "[45].." if include_4xx else "5.."
    window = rate_window(period)
    errors = f'{pm.REQUESTS}{{{scope.proxy},{pm.CODE_LABEL}=~"{codes}"}}'
    total = f"{pm.REQUESTS}{{{scope.proxy}}}"
    return (
        f"100 * sum(rate({errors}[{window}])) / sum(rate({total}[{window}])) "
        f"> {number(threshold_percent)}"
    )


def invocations(scope: Scope, low: float | None, high: float | None, period: int) -> str:
    """Invocations per period outside ``[low, high]``. A period without a single request is
    no datapoint, as in CloudWatch (``> 0`` drops it): an idle endpoint does not breach the
    floor, measured traffic below it does."""
    count = f"sum(increase({pm.REQUESTS}{{{scope.proxy}}}[{rate_window(period)}]))"
    parts = []
    if low is not None:
        parts.append(f"({count} > 0) < {number(low)}")
    if high is not None:
        parts.append(f"{count} > {number(high)}")
    return " or ".join(parts)


def resource(scope: Scope, kind: str, threshold_percent: float, period: int) -> str:
    """Average over the workload's pods of the model container's utilisation, in percent."""
    if kind == "gpu":
        return f"avg({GPU_UTIL}{{{scope.pods}}}) > {number(threshold_percent)}"
    capacity, label = CAPACITY[kind]
    if kind == "cpu":
        used = f"rate({CPU_USAGE}{{{scope.pods}}}[{rate_window(period)}])"
    else:
        used = f"{MEMORY_WORKING_SET if kind == 'memory' else FS_USAGE}{{{scope.pods}}}"
    given = f'{capacity}{{{scope.pods},resource="{label}"}}'
    return (
        f"100 * avg(sum by (pod) ({used}) / sum by (pod) ({given})) > {number(threshold_percent)}"
    )


def fresh(scope: Scope, period: int) -> str:
    """The job pushed within the period ending now (else the period has no datapoint: the
    Pushgateway keeps serving the last run's values)."""
    return f"(time() - max({PUSH_TIME}{{{scope.pushed()}}}) < {period})"


def pushed_bound(
    scope: Scope,
    series: str,
    bounds: tuple[tuple[str, float], ...],
    period: int,
    extra: tuple[tuple[str, str], ...] = (),
) -> str:
    """A job gauge outside its bounds (``("<", low)`` reads the lowest value, ``(">", high)``
    the highest), in a period the job pushed in."""
    selector = f"{series}{{{scope.pushed(*extra)}}}"
    parts = [
        f"{'min' if op == '<' else 'max'}({selector}) {op} {number(value)}" for op, value in bounds
    ]
    condition = parts[0] if len(parts) == 1 else f"({' or '.join(parts)})"
    return f"{condition} and {fresh(scope, period)}"


def stale(scope: Scope, seconds: int) -> str:
    """No push for ``seconds``, or none at all (``max`` drops the labels ``absent`` copies
    from the selector, so both cases are one alert with the rule's labels only)."""
    selector = f"{PUSH_TIME}{{{scope.pushed()}}}"
    return f"time() - max({selector}) > {seconds} or max(absent({selector}))"


def firing(
    namespace: str, model: str, action: str | None = None, monitors: tuple[str, ...] = ()
) -> str:
    """The model's firing alerts (Prometheus's ``ALERTS`` series), of one action or of the
    given monitors."""
    pairs = [("alertstate", "firing"), ("namespace", namespace), ("mlops_model", model)]
    if action is not None:
        pairs.append(("mlops_action", action))
    regex = (("mlops_monitor", "|".join(monitors)),) if monitors else ()
    return f"ALERTS{{{matchers(*pairs, regex=regex)}}}"
