"""Monitoring job: captured endpoint traffic -> drift, prediction drift, bias, quality metrics.

Runs as a SageMaker Processing job on the scikit-learn image (``python -m
mlops_runtime.monitor_job``, a ``MonitorConfig`` in the file ``MLOPS_RUNTIME_CONFIG_FILE``
names), started on schedule by a one-step SageMaker pipeline. It reads the data it needs from
S3 itself, so the job declares no data ProcessingInputs (only the code and its config). Each configured check reads the captured requests of its own
window (ending at the run) and publishes the series of ``mlops_runtime.contract.metrics``. With
``source`` ``batch`` it reads a batch transform's input and output objects of the window
instead (``mlops_runtime.batch_data``; data drift from the inputs, prediction drift from the
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

import html
import io
import json
import sys
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import pandas as pd

from mlops_runtime import batch_data, capture, model_health
from mlops_runtime.aws import client, error_code, split_s3_uri
from mlops_runtime.clock import iso, utcnow
from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import ConfigError, MonitorConfig, QualityCheck
from mlops_runtime.drift import DriftInputError, DriftReport, Profile, compare, render_html
from mlops_runtime.logs import get_logger, log
from mlops_runtime.processing import fail

EXIT_INPUT = 2
EXIT_CORRUPT = 3
OVERALL_METRIC = mm.DRIFT_SCORE
COUNT_METRICS = mm.COUNT_METRICS
CLOUDWATCH_SMALLEST = 1e-100
"""CloudWatch rejects magnitudes below about 8.5e-109; smaller values (tiny p-values) are
published as 0."""
GROUND_TRUTH_SUFFIXES = {
    "parquet": (".parquet", ".pq"),
    "csv": (".csv", ".csv.gz"),
    "jsonl": (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"),
}
logger = get_logger(__name__)

Datum = tuple[str, mm.Dimensions, float]


class MonitorError(RuntimeError):
    """The job cannot produce a trustworthy measurement."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run(
    config: MonitorConfig, *, s3: Any = None, cloudwatch: Any = None, now: datetime | None = None
) -> dict[str, Any]:
    """Run every configured check over its window ending ``now``; returns the JSON report
    written to S3."""
    s3 = s3 or client("s3", config.max_attempts)
    cloudwatch = cloudwatch or client("cloudwatch", config.max_attempts)
    end = now or utcnow()
    start = end - timedelta(hours=config.window_hours)
    read_from = end - timedelta(hours=config.checks_window_hours)
    needs_inputs = config.data_drift or config.bias is not None
    profile = load_profile(s3, config.profile_uri) if needs_inputs else None
    if config.bias and profile and config.bias.feature not in profile.features:
        raise MonitorError(
            f"bias feature {config.bias.feature!r} is not a feature of the reference profile "
            f"{config.profile_uri} ({list(profile.features)})"
        )
    if config.source == "batch":
        data_read = batch_data.read(s3, config, profile, read_from, end)
        batch, scored = data_read.inputs, data_read.outputs
        counts = _combined(batch, scored)
    else:
        data_read = None
        batch = scored = counts = read_capture(s3, config, profile, read_from, end)
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
    if data_read is not None:
        report["batch"] = {
            "input_uri": config.batch_input_uri,
            "output_uri": config.batch_output_uri,
            "input_objects": batch.records,
            "output_objects": scored.records,
        }
    if not batch.entries and batch.mismatched:  # batch: no input object fits the profile
        parts = [f"the profile's features {list(profile.features)}"] if profile else []
        if batch.outputs:
            parts.append(
                "one prediction per input row" if batch.aligned else "readable predictions"
            )
        fits = " and ".join(parts)
        raise MonitorError(
            f"schema mismatch: no {_unit(config)} of {_source(config)} fits {fits}; "
            f"e.g. {batch.problems[:3]}"
        )
    base = [(mm.CORRUPT_RECORDS, float(counts.skipped)), (mm.NO_DATA, float(not counts.entries))]
    data = [(name, _dims(config), value) for name, value in base]
    if counts.skipped_fraction > config.max_corrupt_fraction:
        message = (
            f"{counts.skipped} of {counts.records} {_unit(config)}s "
            f"({counts.skipped_fraction:.1%}) are unreadable, above max_corrupt_fraction "
            f"{config.max_corrupt_fraction:.1%}; e.g. {counts.problems[:3]}"
        )
        if config.data_drift:
            data.append((mm.ROWS_ANALYZED, _dims(config), 0.0))
        report.update(status="failed", error=message, drift=None)
        report["metrics"] = publish(cloudwatch, config, end, data)
        write_report(s3, config, end, report, None)
        raise MonitorError(message, EXIT_CORRUPT)
    report["status"] = "ok" if counts.entries else "no_data"
    if not counts.entries:
        report["message"] = (
            "no batch transform input or output objects in the window"
            if config.source == "batch"
            else "no captured requests in the window"
        )
    drift = None
    if config.data_drift:
        assert profile is not None
        drift = _data_drift(config, profile, batch, start, report, data)
    else:
        report["drift"] = None
    if config.prediction_drift:
        _prediction_drift(s3, config, scored, end, report, data)
    if config.bias:
        _bias(s3, config, scored, end, report, data)
        if data_read is not None:
            report["bias"]["join"] = {
                "joined_objects": data_read.joined,
                "unjoined_objects": data_read.unjoined,
                "problems": data_read.join_problems,
            }
    deferred = None
    if config.model_quality:
        deferred = _model_quality(s3, config, config.model_quality, batch, end, report, data)
    report["metrics"] = publish(cloudwatch, config, end, data)
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


def _source(config: MonitorConfig) -> str:
    if config.source == "batch":
        return f"the batch transform input {config.batch_input_uri}"
    return config.endpoint_name


def _unit(config: MonitorConfig) -> str:
    return "batch object" if config.source == "batch" else "captured record"


def _dims(config: MonitorConfig, *extra: tuple[str, str]) -> mm.Dimensions:
    return mm.dimensions(config.model_id, config.environment, *extra)


def _data_drift(
    config: MonitorConfig,
    profile: Profile,
    batch: capture.CaptureBatch,
    start: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> DriftReport | None:
    entries = batch.since(start)
    frame = batch.frame(entries)
    report["rows_analyzed"] = len(frame)
    data.append((mm.ROWS_ANALYZED, _dims(config), float(len(frame))))
    if frame.empty:
        report["drift"] = None
        return None
    try:
        drift = compare(
            profile,
            frame,
            methods=dict(config.methods) or None,
            thresholds=dict(config.thresholds) or None,
            current_source=(
                f"batch transform input {config.batch_input_uri}"
                if config.source == "batch"
                else f"captured requests of {config.endpoint_name}"
            ),
        )
    except DriftInputError as error:
        raise MonitorError(f"schema mismatch: {error}") from error
    report["drift"] = drift.to_dict()
    data += [
        (mm.DRIFT_SCORE, _dims(config), drift.overall_score),
        (mm.DRIFTED_FEATURES, _dims(config), float(len(drift.drifted_features))),
    ]
    for name, result in drift.features.items():
        dims = _dims(config, (mm.FEATURE, name))
        for metric, value in (
            (mm.FEATURE_DRIFTED, 1.0 if result.drifted else 0.0),
            (mm.FEATURE_STATISTIC, result.statistic),
            (mm.FEATURE_PSI, result.psi),
        ):
            if value is not None and value == value:  # skip NaN
                data.append((metric, dims, float(value)))
    return drift


def _prediction_drift(
    s3: Any,
    config: MonitorConfig,
    batch: capture.CaptureBatch,
    end: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> None:
    check = config.prediction_drift
    assert check is not None
    entries = batch.since(end - timedelta(hours=check.window_hours))
    predictions = [p for entry in entries for p in entry.predictions]
    section: dict[str, Any] = {
        "reference_uri": check.profile_uri,
        "window_hours": check.window_hours,
        "method": check.method,
        "threshold": check.threshold,
    }
    data.append((mm.PREDICTION_ROWS, _dims(config), float(len(predictions))))
    try:
        if not predictions:
            raise model_health.NotComputable(
                "no batch transform output in the window"
                if config.source == "batch"
                else "no captured prediction in the window"
            )
        reference = _load_optional_profile(s3, check.profile_uri, "prediction profile")
        section.update(model_health.prediction_drift(reference, predictions, check))
    except model_health.NotComputable as reason:
        section.update(status="no_data", reason=str(reason))
        data.append((mm.PREDICTION_DRIFT_NO_DATA, _dims(config), 1.0))
        report["prediction_drift"] = section
        return
    data.append((mm.PREDICTION_DRIFT_NO_DATA, _dims(config), 0.0))
    data.append((mm.PREDICTION_DRIFTED, _dims(config), 1.0 if section["drifted"] else 0.0))
    if section["statistic"] is not None:
        data.append((mm.PREDICTION_DRIFT, _dims(config), section["statistic"]))
    if section["p_value"] is not None and check.method in mm.P_VALUE_METHODS:
        data.append((mm.PREDICTION_DRIFT_P_VALUE, _dims(config), section["p_value"]))
    report["prediction_drift"] = section


def _bias(
    s3: Any,
    config: MonitorConfig,
    batch: capture.CaptureBatch,
    end: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> None:
    check = config.bias
    assert check is not None
    entries = [  # batch outputs count only when joined with their input rows
        e
        for e in batch.since(end - timedelta(hours=check.window_hours))
        if len(e.rows) == len(e.predictions)
    ]
    column = batch.features.index(check.feature)
    groups = [row[column] for entry in entries for row in entry.rows]
    predictions = [p for entry in entries for p in entry.predictions]
    classes: list[str] = []
    if config.prediction_drift:  # the reference's classes name the positive label
        try:
            reference = _load_optional_profile(
                s3, config.prediction_drift.profile_uri, "prediction profile"
            )
            classes = model_health.reference_classes(reference)
        except model_health.NotComputable:
            classes = []
    section = model_health.demographic_parity(groups, predictions, check, classes)
    section["window_hours"] = check.window_hours
    report["bias"] = section
    if section["status"] != "ok":
        if not predictions:
            section["reason"] = (
                "no batch transform output joined with its input rows in the window"
                if config.source == "batch"
                else "no captured prediction in the window"
            )
        data.append((mm.BIAS_NO_DATA, _dims(config), 1.0))
        return
    data.append((mm.BIAS_NO_DATA, _dims(config), 0.0))
    value = section["demographic_parity_difference"]
    data.append((mm.DEMOGRAPHIC_PARITY_DIFFERENCE, _dims(config), value))


def _model_quality(
    s3: Any,
    config: MonitorConfig,
    check: QualityCheck,
    batch: capture.CaptureBatch,
    end: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> str | None:
    """Join, compute, record; returns an error to raise after publishing (ground truth whose
    every object is unreadable), else None."""
    since = end - timedelta(hours=check.window_hours)
    entries = batch.since(since)
    truth, objects, problems = read_ground_truth(s3, check, since)
    joined, stats = model_health.join(
        ((e.inference_id, e.predictions) for e in entries), truth, check
    )
    values, reasons = model_health.quality(joined, check)
    if not entries:
        reasons = {m: "no captured prediction in the window" for m in check.metrics}
    report["model_quality"] = {
        "status": "ok" if values else "no_data",
        "window_hours": check.window_hours,
        "ground_truth": {
            "uri": check.ground_truth_uri,
            "objects": objects,
            "rows": len(truth),
            "problems": problems[: capture.MAX_PROBLEMS],
        },
        "joined_rows": len(joined),
        "join": stats,
        "metrics": values,
        "not_computed": reasons,
    }
    data.append((mm.GROUND_TRUTH_ROWS, _dims(config), float(len(joined))))
    for metric in check.metrics:
        dims = _dims(config, (mm.METRIC, metric))
        data.append((mm.MODEL_QUALITY_NO_DATA, dims, 0.0 if metric in values else 1.0))
        if metric in values:
            data.append((mm.MODEL_QUALITY, dims, values[metric]))
    if problems and not len(truth) and objects == len(problems):
        return (
            f"every ground-truth object under {check.ground_truth_uri} is unreadable as "
            f"{check.format} with columns {check.inference_id_column!r} and {check.label!r}; "
            f"e.g. {problems[:3]}"
        )
    return None


def load_profile(s3: Any, uri: str) -> Profile:
    """The reference profile, or a MonitorError saying why it cannot be used."""
    bucket, key = split_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:
        code = error_code(error)
        if code in {"NoSuchKey", "NoSuchBucket", "404", "AccessDenied", "403"}:
            raise MonitorError(
                f"reference profile {uri} cannot be read ({code}); the training pipeline's "
                "Profile step writes it when a candidate passes the gate (or build it with "
                "`mlops drift profile` and upload it there)"
            ) from error
        raise
    try:
        return Profile.from_json(body.decode("utf-8"), source=uri)
    except (DriftInputError, UnicodeDecodeError) as error:
        raise MonitorError(f"reference profile {uri} is unusable: {error}") from error


def _load_optional_profile(s3: Any, uri: str, what: str) -> Profile:
    """A profile a single check needs: a problem makes that check not computable."""
    try:
        return load_profile(s3, uri)
    except MonitorError as error:
        text = str(error).replace("reference profile", what, 1)
        raise model_health.NotComputable(
            f"{text}; the evaluation step writes it when the training pipeline has a gate"
        ) from error


def read_capture(
    s3: Any, config: MonitorConfig, profile: Profile | None, start: datetime, end: datetime
) -> capture.CaptureBatch:
    """Every captured request of ``[start, end)``, parsed for the configured checks."""
    assert config.capture_uri is not None  # source 'capture'
    bucket, prefix = split_s3_uri(config.capture_uri)
    base = f"{prefix.strip('/')}/{config.endpoint_name}/".lstrip("/")
    batch = capture.CaptureBatch(
        features=list(profile.features) if profile else [],
        kinds=profile.kinds if profile else {},
        inputs=profile is not None,
        outputs=any((config.prediction_drift, config.bias, config.model_quality)),
        aligned=config.bias is not None,
    )
    for key in capture.list_window(s3, bucket, base, config.variants, start, end):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")
        for line in body.splitlines():
            batch.add_line(line, f"s3://{bucket}/{key}", (start, end))
    return batch


def read_ground_truth(
    s3: Any, check: QualityCheck, since: datetime
) -> tuple[pd.DataFrame, int, list[str]]:
    """Ground-truth rows (id and label columns) of the ``format`` objects under the prefix
    modified at or after ``since``, oldest object first; (rows, objects read, problems)."""
    bucket, prefix = split_s3_uri(check.ground_truth_uri)
    suffixes = GROUND_TRUTH_SUFFIXES[check.format]
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            parts = PurePosixPath(key[len(prefix) :]).parts
            if item["LastModified"] < since or not key.endswith(suffixes):
                continue
            if any(part.startswith((".", "_")) for part in parts):
                continue
            found.append((item["LastModified"], key))
    columns = [check.inference_id_column, check.label]
    frames, problems = [], []
    for _, key in sorted(found):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            frame = _read_table(body, key, check.format, columns)
        except Exception as error:  # any parser error: skip the object, say why
            problems.append(f"s3://{bucket}/{key}: {type(error).__name__}: {error}"[:300])
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            problems.append(f"s3://{bucket}/{key}: no column(s) {missing}")
            continue
        frames.append(frame[columns])
    truth = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return truth, len(found), problems


def _read_table(body: bytes, key: str, fmt: str, columns: list[str]) -> pd.DataFrame:
    compression = "gzip" if key.endswith(".gz") else None
    if fmt == "parquet":
        return pd.read_parquet(io.BytesIO(body))
    if fmt == "csv":
        return pd.read_csv(
            io.BytesIO(body), compression=compression, dtype={columns[0]: str}, low_memory=False
        )
    return pd.read_json(io.BytesIO(body), lines=True, compression=compression, dtype=False)


def publish(
    cloudwatch: Any, config: MonitorConfig, at: datetime, data: list[Datum]
) -> dict[str, Any]:
    """Put every datapoint (20 per call); returns what the report records."""
    points = [
        {
            "MetricName": name,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dims],
            "Timestamp": at,
            "Value": _cloudwatch_value(value),
            "Unit": "Count" if name in COUNT_METRICS else "None",
        }
        for name, dims, value in data
    ]
    for offset in range(0, len(points), 20):
        cloudwatch.put_metric_data(
            Namespace=config.metric_namespace, MetricData=points[offset : offset + 20]
        )
    model = _dims(config)
    values = {name: value for name, dims, value in data if dims == model}
    values.update(
        {
            f"{name}[{dict(dims)[mm.METRIC]}]": value
            for name, dims, value in data
            if mm.METRIC in dict(dims)
        }
    )
    return {"namespace": config.metric_namespace, "values": values, "datapoints": len(points)}


def _cloudwatch_value(value: float) -> float:
    value = float(value)
    return 0.0 if abs(value) < CLOUDWATCH_SMALLEST else value


def report_prefix(config: MonitorConfig, at: datetime) -> str:
    """``<prefix>/<model>/yyyy/mm/dd/<HHMMSS>Z/`` for a run at ``at``."""
    return f"{config.reports_prefix.strip('/')}/{config.model_id}/{at:%Y/%m/%d/%H%M%S}Z/".lstrip(
        "/"
    )


def write_report(
    s3: Any, config: MonitorConfig, at: datetime, report: dict[str, Any], drift: DriftReport | None
) -> dict[str, str]:
    """Write drift.json and drift.html under the run's dated prefix; returns their keys."""
    prefix = report_prefix(config, at)
    keys = {"json": f"{prefix}drift.json", "html": f"{prefix}drift.html"}
    report["report_keys"] = keys
    title = f"Drift: {config.model_id} ({config.environment}) {iso(at)}"
    page = render_html(drift, title=title) if drift else _status_page(title, report)
    page = page.replace("</body>", _health_section(report) + "</body>", 1)
    s3.put_object(
        Bucket=config.reports_bucket,
        Key=keys["json"],
        Body=json.dumps(report, indent=2, allow_nan=False).encode(),
        ContentType="application/json",
    )
    s3.put_object(
        Bucket=config.reports_bucket,
        Key=keys["html"],
        Body=page.encode(),
        ContentType="text/html; charset=utf-8",
    )
    return keys


def _status_page(title: str, report: dict[str, Any]) -> str:
    text = report.get("message") or report.get("error") or report["status"]
    details = html.escape(json.dumps(report["capture"], indent=2))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><p><strong>{html.escape(report['status'])}"
        f"</strong>: {html.escape(text)}</p><pre>{details}</pre></body></html>"
    )


def _health_section(report: dict[str, Any]) -> str:
    """Prediction drift, bias and quality outcomes as a small table (escaped)."""
    rows = []
    for key, title in (
        ("prediction_drift", "Prediction drift"),
        ("bias", "Bias (demographic parity)"),
        ("model_quality", "Model quality"),
    ):
        section = report.get(key)
        if not section:
            continue
        if key == "prediction_drift":
            outcome = section.get("reason") or (
                f"{section['method']} statistic {section['statistic']}, p-value "
                f"{section['p_value']}, drifted: {section['drifted']}"
            )
        elif key == "bias":
            outcome = section.get("reason") or (
                f"{section['feature']}: difference {section['demographic_parity_difference']:.4g}"
                f" ({section['highest_group']} vs {section['lowest_group']})"
            )
        else:
            outcome = json.dumps({**section["metrics"], **section["not_computed"]})
        rows.append(
            f"<tr><th>{html.escape(title)}</th><td>{html.escape(section['status'])}</td>"
            f"<td>{html.escape(str(outcome))}</td></tr>"
        )
    if not rows:
        return ""
    return f"<h2>Model health</h2><table>{''.join(rows)}</table>"


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
