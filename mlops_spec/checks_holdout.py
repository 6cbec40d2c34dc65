"""Load-time rules of the gate's holdout and of how the candidate's container scores it
(``training.evaluation``): only a holdout may be headerless CSV, what the container returns
fits the gate's task and metric, and an auc quality monitor reads the scores the container
answers. One function per rule, run per model by ``mlops_spec.checks_ml``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_spec.checks import Issue
from mlops_spec.models.monitors import ModelQualityMonitor
from mlops_spec.models.training import metric_task

if TYPE_CHECKING:
    from mlops_spec.models.model import Model
    from mlops_spec.models.spec import SystemSpec

Loc = tuple[str | int, ...]

# Gate metrics computed only from predicted probabilities (mlops_runtime.jobs.metrics).
_NEEDS_PROBABILITIES = frozenset({"auc"})


def _readers(base: Loc, model: Model) -> list[tuple[Loc, str, str]]:
    """(where, data source id, what reads it) for every use of a data source by a reader
    that expects a header row: training inputs (the training job, the Profile step), a batch
    input (PrepareFeatures, the monitoring job), ground truth (the monitoring job)."""
    uses: list[tuple[Loc, str, str]] = [
        ((*base, "training", "inputs", index), source, "a training input")
        for index, source in enumerate(model.training.inputs)
    ]
    serving = model.serving
    if serving is not None and serving.tier == "batch":
        uses.append(((*base, "serving", "input"), serving.input, "a batch input"))
    for monitor_id, monitor in model.monitors.items():
        if isinstance(monitor, ModelQualityMonitor):
            where = (*base, "monitors", monitor_id, "ground_truth", "data_source")
            uses.append((where, monitor.ground_truth.data_source, "ground truth"))
    return uses


def headerless_only_as_holdout(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """A headerless source (``header: false``) is read by the holdout preparation only."""
    issues = []
    for where, source_id, what in _readers(base, model):
        source = spec.data_sources.get(source_id)
        if source is not None and not source.header:
            issues.append(
                Issue(
                    where,
                    f"data source {source_id!r} is headerless (header: false), which only a "
                    f"gate's holdout may be; {what} is read by its header row",
                    got=source_id,
                    allowed="a data source whose objects start with a header row",
                    suggestion=f"add a header row to {source_id!r}'s objects and remove "
                    "header and columns",
                )
            )
    return issues


def evaluation_fits_gate(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """``training.evaluation`` is written only with a gate, an auc gate reads probabilities
    (with labels no candidate has an auc), and a regression gate scores one predicted value
    per row (``output: label``)."""
    training = model.training
    where = (*base, "training", "evaluation")
    if training.gate is None:
        if "evaluation" not in training.model_fields_set:
            return []
        return [
            Issue(
                where,
                "training.evaluation says how the gate scores candidates, but the model has "
                "no gate",
                got="evaluation without gate",
                allowed="training.evaluation together with training.gate",
                suggestion="add training.gate, or remove training.evaluation",
            )
        ]
    output = training.evaluation.output
    metric = training.gate.metric
    if metric in _NEEDS_PROBABILITIES and output == "label":
        default = "" if "output" in training.evaluation.model_fields_set else ", the default"
        return [
            Issue(
                (*where, "output"),
                f"the gate's metric {metric} ranks candidates by predicted probabilities, but "
                f"the container is read as answering labels (output: label{default}), so "
                f"no candidate ever has an {metric} score and the gate rejects every one; have "
                "the container answer probability (binary) or probabilities (one per class), "
                "or gate on accuracy, f1, precision or recall",
                got=output,
                allowed="probability, probabilities",
                suggestion="probability",
            )
        ]
    if metric_task(metric) == "regression" and output != "label":
        return [
            Issue(
                (*where, "output"),
                f"the gate's metric {training.gate.metric} is a regression metric, which "
                f"scores one predicted value per row; {output} is a classifier's output",
                got=output,
                allowed="label",
                suggestion="output: label (the container returns the predicted value)",
            )
        ]
    return []


def quality_auc_reads_scores(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """A ``model_quality`` monitor on auc needs the served container to answer scores; a gated
    model whose container answers labels (``training.evaluation.output: label``) never has one."""
    training = model.training
    if training.gate is None or training.evaluation.output != "label":
        return []
    if metric_task(training.gate.metric) == "regression":
        return []  # auc on a regression model is the task rule's (checks_ml._task_fit)
    return [
        Issue(
            (*base, "monitors", monitor_id, "metric"),
            "auc is computed from the scores the endpoint answers, but training.evaluation."
            "output says the model's container answers labels: the monitoring job finds no auc "
            "on any run and the alarm never receives data",
            got="auc",
            allowed="accuracy, f1, precision or recall (or have the container answer a "
            "probability and set training.evaluation.output: probability)",
            suggestion="accuracy",
        )
        for monitor_id, monitor in model.monitors.items()
        if isinstance(monitor, ModelQualityMonitor) and monitor.metric in _NEEDS_PROBABILITIES
    ]
