"""``estimate(plan or plan document, prices, usage) -> CostEstimate``: the monthly cost of a stack.

Priced: real-time endpoints (minimum instances * 730 h, and the maximum as the upper bound),
the jobs of training, batch and monitoring pipelines (runs per month from their schedules *
hours per run * instances; hours per run are the steps' maximum runtimes unless the usage file
gives them), serverless endpoints from the usage file only. Never invented: a missing price,
an unknown runtime or missing usage leaves the item unpriced (``usd`` None) and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mlops_spec.cost.frequency import HOURS_PER_MONTH, runs_per_month
from mlops_spec.cost.from_document import from_document
from mlops_spec.cost.from_plan import from_plan
from mlops_spec.cost.prices import PriceTable
from mlops_spec.cost.usage import ModelUsage, Usage
from mlops_spec.cost.workload import Endpoint, Pipeline, Step, Workload
from mlops_spec.plan import DeploymentPlan

DAYS_PER_MONTH = HOURS_PER_MONTH / 24
EXCLUDED = (
    "S3 storage and requests, data capture objects",
    "KMS keys and requests",
    "Lambda, EventBridge, SNS, SQS and DynamoDB requests",
    "CloudWatch logs, dashboards, alarms and custom metrics (not in the price table)",
    "data transfer",
)


_ROUNDING = {
    "usd": 2,
    "usd_max": 2,
    "runs_per_month": 4,
    "max_runs_per_month": 4,
    "hours_per_run": 4,
    "hours_per_month": 4,
}
"""Digits kept in JSON (the objects keep full precision)."""


@dataclass(frozen=True)
class CostItem:
    """One priced line: an endpoint, or one step of a pipeline across a month's runs."""

    model: str
    resource: str
    """The endpoint or pipeline name."""
    component: str
    """Price table component: hosting, training, processing, transform, serverless."""
    what: str
    instance_type: str
    """Instance type, or the memory size in MB for serverless."""
    count: int
    """Instances (an endpoint's minimum, a job's instance count)."""
    max_count: int | None = None
    """An endpoint's maximum instances (autoscaling)."""
    runs_per_month: float | None = None
    max_runs_per_month: float | None = None
    """Upper bound of runs (training started by alarms or new data up to its caps)."""
    hours_per_run: float | None = None
    hours_per_month: float | None = None
    """Hours per instance per month (730 for an endpoint; runs * hours per run for a job)."""
    unit_price: float | None = None
    """USD per instance-hour (per GB-second for serverless), from the price table."""
    usd: float | None = None
    usd_max: float | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["notes"] = list(self.notes)
        for key, digits in _ROUNDING.items():
            data[key] = None if data[key] is None else round(data[key], digits)
        return data


@dataclass(frozen=True)
class CostEstimate:
    """The monthly estimate of one stack."""

    system: str
    environment: str
    region: str
    items: tuple[CostItem, ...]
    prices: str
    """Where the prices come from (the table's comment lines)."""
    notes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = EXCLUDED
    missing_prices: tuple[tuple[str, str, str], ...] = ()
    """(region, component, instance type) rows the table lacks."""
    counts: Mapping[str, int | None] = field(default_factory=dict)
    """Quantities not priced: CloudWatch metric alarms, composite alarms, custom metric series."""

    @property
    def monthly_usd(self) -> float:
        """Sum of the priced items (a lower bound when ``complete`` is false)."""
        return sum(item.usd for item in self.items if item.usd is not None)

    @property
    def monthly_usd_max(self) -> float | None:
        """Upper bound (maximum instances and capped retraining); None if unbounded."""
        maxima = [item.usd_max for item in self.items if item.usd is not None]
        return None if None in maxima else sum(m for m in maxima if m is not None)

    @property
    def complete(self) -> bool:
        """True when every item is priced."""
        return all(item.usd is not None for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        upper = self.monthly_usd_max
        return {
            "system": self.system,
            "environment": self.environment,
            "region": self.region,
            "monthly_usd": round(self.monthly_usd, 2),
            "monthly_usd_max": None if upper is None else round(upper, 2),
            "complete": self.complete,
            "items": [item.to_dict() for item in self.items],
            "prices": self.prices,
            "notes": list(self.notes),
            "excluded": list(self.excluded),
            "missing_prices": [list(key) for key in self.missing_prices],
            "counts": dict(self.counts),
        }


class _Pricer:
    def __init__(self, workload: Workload, prices: PriceTable, usage: Usage) -> None:
        self.workload, self.prices, self.usage = workload, prices, usage
        self.missing: list[tuple[str, str, str]] = []

    def price(self, component: str, instance_type: str) -> float | None:
        row = self.prices.get(self.workload.region, component, instance_type)
        value = None
        if row is not None:
            value = row.usd_per_gb_second if component == "serverless" else row.usd_per_hour
        key = (self.workload.region, component, instance_type)
        if value is None and key not in self.missing:
            self.missing.append(key)
        return value


def _realtime(endpoint: Endpoint, pricer: _Pricer) -> CostItem:
    assert endpoint.instance_type is not None
    price = pricer.price("hosting", endpoint.instance_type)
    notes = [] if price is not None else [_no_price("hosting", endpoint.instance_type, pricer)]
    if endpoint.max_instances > endpoint.min_instances:
        notes.append(f"autoscaling {endpoint.min_instances}-{endpoint.max_instances} instances")
    return CostItem(
        model=endpoint.model,
        resource=endpoint.name,
        component="hosting",
        what="real-time endpoint",
        instance_type=endpoint.instance_type,
        count=endpoint.min_instances,
        max_count=endpoint.max_instances,
        hours_per_month=HOURS_PER_MONTH,
        unit_price=price,
        usd=None if price is None else endpoint.min_instances * HOURS_PER_MONTH * price,
        usd_max=None if price is None else endpoint.max_instances * HOURS_PER_MONTH * price,
        notes=tuple(notes),
    )


def _serverless(endpoint: Endpoint, usage: ModelUsage, pricer: _Pricer) -> CostItem:
    memory = int(endpoint.memory_mb or 0)
    price = pricer.price("serverless", str(memory))
    notes = [] if price is not None else [_no_price("serverless", str(memory), pricer)]
    usd = None
    if usage.requests_per_month is None or usage.mean_duration_ms is None:
        notes.append(
            f"give models.{endpoint.model}.requests_per_month and mean_duration_ms in the "
            "usage file to price it (serverless is billed per request)"
        )
    elif price is not None:
        seconds = usage.requests_per_month * usage.mean_duration_ms / 1000
        usd = seconds * memory / 1024 * price
    if endpoint.provisioned_concurrency:
        notes.append(
            f"provisioned concurrency ({endpoint.provisioned_concurrency}) is billed separately "
            "and not estimated"
        )
    return CostItem(
        model=endpoint.model,
        resource=endpoint.name,
        component="serverless",
        what="serverless endpoint",
        instance_type=str(memory),
        count=1,
        unit_price=price,
        usd=usd,
        usd_max=usd,
        notes=tuple(notes),
    )


def _no_price(component: str, instance_type: str, pricer: _Pricer) -> str:
    return (
        f"no {component} price for {instance_type} in {pricer.workload.region} in the price "
        "table: refresh it with `mlops prices fetch`"
    )


def _runs(pipeline: Pipeline, environment: str) -> tuple[float, float | None, list[str]]:
    """(expected runs, maximum runs or None if unbounded, notes) per month."""
    notes: list[str] = []
    scheduled = 0.0
    if pipeline.schedule and pipeline.schedule_enabled:
        scheduled = runs_per_month(pipeline.schedule)
    elif pipeline.schedule:
        notes.append(f"schedule {pipeline.schedule} is paused in {environment}: 0 scheduled runs")
    if pipeline.purpose != "training":
        return scheduled, scheduled, notes
    caps = []
    if pipeline.max_runs_per_day:
        caps.append(pipeline.max_runs_per_day * DAYS_PER_MONTH)
    if pipeline.cooldown_hours > 0:
        caps.append(HOURS_PER_MONTH / pipeline.cooldown_hours)
    cap = min(caps) if caps else None
    expected = scheduled if cap is None else min(scheduled, cap)
    if not pipeline.triggers:
        return expected, expected, notes
    started_by = " and ".join(pipeline.triggers)
    if cap is None:
        notes.append(f"{started_by} also start it, with no daily cap: no upper bound")
        return expected, None, notes
    notes.append(f"{started_by} also start it: at most {cap:.2f} runs/month (the trigger's caps)")
    return expected, cap, notes


def _steps(pipeline: Pipeline, usage: ModelUsage, pricer: _Pricer) -> list[CostItem]:
    runs, max_runs, run_notes = _runs(pipeline, pricer.workload.environment)
    return [
        _step(pipeline, step, runs, max_runs, run_notes, usage, pricer) for step in pipeline.steps
    ]


def _step(
    pipeline: Pipeline,
    step: Step,
    runs: float,
    max_runs: float | None,
    run_notes: list[str],
    usage: ModelUsage,
    pricer: _Pricer,
) -> CostItem:
    notes = list(run_notes)
    hours = usage.hours_per_run.get(step.name)
    if hours is not None:
        notes.append("hours per run: from the usage file")
    elif step.max_runtime_seconds is not None:
        hours = step.max_runtime_seconds / 3600
        notes.append("hours per run: the maximum runtime (an upper bound)")
    elif hours is None:
        notes.append(
            f"{step.component} jobs have no maximum runtime: give models.{pipeline.model}."
            f"hours_per_run.{step.name} in the usage file to price it"
        )
    if step.spot:
        notes.append("managed spot training: priced on demand (spot usually costs less)")
    price = pricer.price(step.component, step.instance_type)
    if price is None:
        notes.append(_no_price(step.component, step.instance_type, pricer))
    priced = price is not None and hours is not None
    per_run = step.instance_count * (hours or 0.0) * (price or 0.0)
    return CostItem(
        model=pipeline.model,
        resource=pipeline.name,
        component=step.component,
        what=f"{pipeline.purpose} pipeline: {step.name}",
        instance_type=step.instance_type,
        count=step.instance_count,
        runs_per_month=runs,
        max_runs_per_month=max_runs,
        hours_per_run=hours,
        hours_per_month=None if hours is None else runs * hours,
        unit_price=price,
        usd=runs * per_run if priced else None,
        usd_max=(None if max_runs is None else max_runs * per_run) if priced else None,
        notes=tuple(notes),
    )


def _usage_notes(workload: Workload, usage: Usage) -> list[str]:
    """What the usage file names that the stack does not have (it may serve other stacks)."""
    steps: dict[str, set[str]] = {}
    for pipeline in workload.pipelines:
        steps.setdefault(pipeline.model, set()).update(s.name for s in pipeline.steps)
    models = {e.model for e in workload.endpoints} | set(steps)
    notes = []
    for model, model_usage in sorted(usage.models.items()):
        if model not in models:
            notes.append(f"the usage file names model {model!r}, which this stack does not have")
            continue
        for step in sorted(set(model_usage.hours_per_run) - steps.get(model, set())):
            known = ", ".join(sorted(steps.get(model, set()))) or "none"
            notes.append(
                f"the usage file gives hours_per_run.{step} for {model!r}, which runs no such "
                f"step (its steps: {known})"
            )
    return notes


def estimate(
    source: DeploymentPlan | Mapping[str, Any] | Workload,
    prices: PriceTable,
    usage: Usage | None = None,
) -> CostEstimate:
    """The monthly estimate of a stack from its ``DeploymentPlan`` (``plan(resolve(spec,
    stack))``), its plan document (``mlops plan -f json``, parsed) or a ``Workload``."""
    if isinstance(source, Workload):
        workload = source
    elif isinstance(source, DeploymentPlan):
        workload = from_plan(source)
    else:
        workload = from_document(source)
    usage = usage or Usage()
    pricer = _Pricer(workload, prices, usage)
    items: list[CostItem] = []
    for endpoint in workload.endpoints:
        model_usage = usage.model(endpoint.model)
        if endpoint.instance_type is not None:
            items.append(_realtime(endpoint, pricer))
        else:
            items.append(_serverless(endpoint, model_usage, pricer))
    for pipeline in workload.pipelines:
        items += _steps(pipeline, usage.model(pipeline.model), pricer)
    return CostEstimate(
        system=workload.system,
        environment=workload.environment,
        region=workload.region,
        items=tuple(items),
        prices=prices.source,
        notes=tuple(_usage_notes(workload, usage)),
        missing_prices=tuple(pricer.missing),
        counts={
            "cloudwatch_metric_alarms": workload.metric_alarms,
            "cloudwatch_composite_alarms": workload.composite_alarms,
            "custom_metric_series": workload.metric_series,
        },
    )
