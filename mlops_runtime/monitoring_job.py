"""Monitoring job: captured endpoint traffic -> drift, prediction drift, bias, quality metrics.

Runs as a SageMaker Processing job on the scikit-learn image (``python -m
mlops_runtime.monitoring_job``, a ``MonitorConfig`` in the file ``MLOPS_RUNTIME_CONFIG_FILE``
names), started on schedule by a one-step SageMaker pipeline. It reads the data it needs from
S3 itself (``jobs.monitor_io``), so the job declares no data ProcessingInputs (only the code
and its config). Each configured check (``jobs.monitor_checks``) reads the captured requests
of its own window (ending at the run) and its series (``mlops_runtime.contract.metrics``) are
published as gauges through a ``MetricsSink`` (CloudWatch; on Kubernetes, with
``$MLOPS_PUSHGATEWAY_URL`` set, the Pushgateway: ``mlops_runtime.k8s.pushgateway``). With
``source`` ``batch`` it reads a batch transform's input and output objects of the window instead
(``mlops_runtime.jobs.batch_data``; data drift from the inputs, prediction drift from the
outputs, bias from outputs joined line by line with their csv/jsonl input; no model quality),
counting objects where capture counts records:

- data drift: the inputs against the reference feature profile (``DriftScore`` ...);
- prediction drift: the outputs against the reference prediction profile (``PredictionDrift``);
- bias: positive-prediction rates per group of a sensitive input feature
  (``DemographicParityDifference``);
- model quality: outputs joined by inference id with ground-truth labels (``ModelQuality``).

A check with nothing to measure publishes its no-data series (``NoData``,
``PredictionDriftNoData``, ``BiasNoData``, ``ModelQualityNoData``) instead of failing the run.

Exit status: 0 when measured (or nothing to measure); 2 for bad input (configuration, missing or
unreadable feature profile, captured data that does not fit the profile, ground truth whose
every object is unreadable: the metrics and report are still written in that last case); 3
when more than ``max_corrupt_fraction`` of the captured records are unreadable (their counts are
still published and a report is written).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime.aws.clients import client
from mlops_runtime.aws.cloudwatch import CloudWatchMetrics
from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import ConfigError, MonitorConfig
from mlops_runtime.core.clock import iso, utcnow
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.core.ports import MetricsSink
from mlops_runtime.drift import DriftReport, Profile
from mlops_runtime.jobs import batch_data, capture
from mlops_runtime.jobs.monitor_checks import (
    Datum,
    bias,
    data_drift,
    dimensions_of,
    model_quality,
    prediction_drift,
    publish,
    source,
    unit,
)
from mlops_runtime.jobs.monitor_io import (
    EXIT_CORRUPT,
    EXIT_INPUT,
    MonitorError,
    load_profile,
    read_capture,
    write_report,
)
from mlops_runtime.jobs.processing import fail
from mlops_runtime.k8s import pushgateway

__all__ = ["EXIT_CORRUPT", "EXIT_INPUT", "MonitorError", "main", "run"]

logger = get_logger(__name__)


@dataclass(frozen=True)
class _Read:
    """What the run read: inputs (data drift, bias), outputs (predictions), their counts."""

    inputs: capture.CaptureBatch
    outputs: capture.CaptureBatch
    counts: capture.CaptureBatch
    batch: batch_data.BatchData | None = None
    """The batch transform's objects (source ``batch``)."""


def run(
    config: MonitorConfig,
    *,
    s3: Any = None,
    metrics: MetricsSink | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Run every configured check over its window ending ``now``; returns the JSON report
    written to S3. ``metrics`` receives the gauges (default: the Pushgateway at
    ``$MLOPS_PUSHGATEWAY_URL`` when set, on Kubernetes; else CloudWatch)."""
    s3 = s3 or client("s3", config.max_attempts)
    sink = (
        metrics
        or pushgateway.from_env()
        or CloudWatchMetrics(client("cloudwatch", config.max_attempts))
    )
    end = now or utcnow()
    start = end - timedelta(hours=config.window_hours)
    profile = _profile(s3, config)
    read = _read(s3, config, profile, end)
    report = _report(config, start, end, read)
    _check_fit(config, profile, read.inputs)
    counts = read.counts
    base = [(mm.CORRUPT_RECORDS, float(counts.skipped)), (mm.NO_DATA, float(not counts.entries))]
    data: list[Datum] = [(name, dimensions_of(config), value) for name, value in base]
    if counts.skipped_fraction > config.max_corrupt_fraction:
        _fail_corrupt(s3, sink, config, (end, counts), report, data)
    report["status"] = "ok" if counts.entries else "no_data"
    if not counts.entries:
        report["message"] = (
            "no batch transform input or output objects in the window"
            if config.source == "batch"
            else "no captured requests in the window"
        )
    drift, deferred = _measure(s3, config, profile, read, (start, end), report, data)
    report["metrics"] = publish(sink, config, end, data)
    write_report(s3, config, end, report, drift)
    log(
        logger,
        f"monitor: {report['status']}",
        model=config.model_id,
        window=report["window"],
        values=report["metrics"]["values"],
    )
    if deferred:
        raise MonitorError(deferred)
    return report


def _profile(s3: Any, config: MonitorConfig) -> Profile | None:
    """The reference feature profile, when data drift or bias needs it."""
    if not (config.data_drift or config.bias is not None):
        return None
    profile = load_profile(s3, config.profile_uri)
    if config.bias and config.bias.feature not in profile.features:
        raise MonitorError(
            f"bias feature {config.bias.feature!r} is not a feature of the reference profile "
            f"{config.profile_uri} ({list(profile.features)})"
        )
    return profile


def _read(s3: Any, config: MonitorConfig, profile: Profile | None, end: datetime) -> _Read:
    """Captured requests (or batch objects) of the longest window of the checks."""
    read_from = end - timedelta(hours=config.checks_window_hours)
    if config.source != "batch":
        batch = read_capture(s3, config, profile, read_from, end)
        return _Read(batch, batch, batch)
    objects = batch_data.read(s3, config, profile, read_from, end)
    return _Read(
        objects.inputs, objects.outputs, _combined(objects.inputs, objects.outputs), objects
    )


def _combined(inputs: capture.CaptureBatch, outputs: capture.CaptureBatch) -> capture.CaptureBatch:
    """One count of the batch input and output objects (records, problems, entries)."""
    return capture.CaptureBatch(
        features=inputs.features,
        kinds=inputs.kinds,
        inputs=inputs.inputs,
        outputs=outputs.records > 0,
        entries=[*inputs.entries, *outputs.entries],
        records=inputs.records + outputs.records,
        corrupt=inputs.corrupt + outputs.corrupt,
        mismatched=inputs.mismatched + outputs.mismatched,
        problems=[*inputs.problems, *outputs.problems][: capture.MAX_PROBLEMS],
    )


def _report(config: MonitorConfig, start: datetime, end: datetime, read: _Read) -> dict[str, Any]:
    """The report's head: what was read, from where, over which window."""
    counts = read.counts
    report: dict[str, Any] = {
        "schema_version": 1,
        "system": config.system,
        "model_id": config.model_id,
        "environment": config.environment,
        "source": config.source,
        "endpoint": config.endpoint_name or None,
        "profile_uri": config.profile_uri,
        "window": {
            "start": iso(start),
            "end": iso(end),
            "hours": config.window_hours,
            "read_hours": config.checks_window_hours,
        },
        "capture": {
            "records": counts.records,
            "corrupt_records": counts.skipped,
            "corrupt_fraction": round(counts.skipped_fraction, 6),
            "records_outside_window": counts.outside_window,
            "problems": counts.problems,
        },
        "rows_analyzed": 0,
    }
    if read.batch is not None:
        report["batch"] = {
            "input_uri": config.batch_input_uri,
            "output_uri": config.batch_output_uri,
            "input_objects": read.inputs.records,
            "output_objects": read.outputs.records,
        }
    return report


def _check_fit(
    config: MonitorConfig, profile: Profile | None, inputs: capture.CaptureBatch
) -> None:
    """Nothing read fits the profile (and, for bias, the predictions): a schema mismatch."""
    if inputs.entries or not inputs.mismatched:
        return
    parts = [f"the profile's features {list(profile.features)}"] if profile else []
    if inputs.outputs:
        parts.append("one prediction per input row" if inputs.aligned else "readable predictions")
    raise MonitorError(
        f"schema mismatch: no {unit(config)} of {source(config)} fits {' and '.join(parts)}; "
        f"e.g. {inputs.problems[:3]}"
    )


def _fail_corrupt(
    s3: Any,
    sink: MetricsSink,
    config: MonitorConfig,
    read: tuple[datetime, capture.CaptureBatch],
    report: dict[str, Any],
    data: list[Datum],
) -> None:
    """Too many unreadable records: publish the counts, write a failed report, raise."""
    end, counts = read
    message = (
        f"{counts.skipped} of {counts.records} {unit(config)}s "
        f"({counts.skipped_fraction:.1%}) are unreadable, above max_corrupt_fraction "
        f"{config.max_corrupt_fraction:.1%}; e.g. {counts.problems[:3]}"
    )
    if config.data_drift:
        data.append((mm.ROWS_ANALYZED, dimensions_of(config), 0.0))
    report.update(status="failed", error=message, drift=None)
    report["metrics"] = publish(sink, config, end, data)
    write_report(s3, config, end, report, None)
    raise MonitorError(message, EXIT_CORRUPT)


def _measure(
    s3: Any,
    config: MonitorConfig,
    profile: Profile | None,
    read: _Read,
    window: tuple[datetime, datetime],
    report: dict[str, Any],
    data: list[Datum],
) -> tuple[DriftReport | None, str | None]:
    """Every configured check; (the drift report, an error to raise after publishing)."""
    start, end = window
    drift = None
    report["drift"] = None
    if config.data_drift:
        assert profile is not None
        drift = data_drift(config, profile, read.inputs, start, report, data)
    if config.prediction_drift:
        prediction_drift(s3, config, read.outputs, end, report, data)
    if config.bias:
        bias(s3, config, read.outputs, end, report, data)
        if read.batch is not None:
            report["bias"]["join"] = {
                "joined_objects": read.batch.joined,
                "unjoined_objects": read.batch.unjoined,
                "problems": read.batch.join_problems,
            }
    deferred = None
    if config.model_quality:
        deferred = model_quality(s3, config, config.model_quality, read.inputs, end, report, data)
    return drift, deferred


def main() -> int:
    """Processing job entry point; returns the exit status."""
    try:
        run(MonitorConfig.from_env())
    except ConfigError as error:
        return fail(f"monitoring failed: {error}", EXIT_INPUT)
    except MonitorError as error:
        return fail(f"monitoring failed: {error}", error.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
