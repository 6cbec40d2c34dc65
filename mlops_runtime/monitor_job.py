"""Drift monitoring job: captured endpoint traffic vs the reference profile -> metrics + report.

Runs as a SageMaker Processing job on the scikit-learn image (``python -m
mlops_runtime.monitor_job``, ``MLOPS_RUNTIME_CONFIG`` holding a ``MonitorConfig``), started on
schedule by a one-step SageMaker pipeline. It reads everything it needs from S3 itself, so the
job declares no ProcessingInputs.

Exit status: 0 when drift was measured or there was no data (``NoData`` = 1); 2 for bad
input (configuration, missing or unreadable profile, captured data that does not fit the
profile's features); 3 when more than ``max_corrupt_fraction`` of the captured records are
unreadable (their counts are still published and a report is written).
"""

from __future__ import annotations

import html
import json
import sys
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime import capture
from mlops_runtime.aws import client, error_code, split_s3_uri
from mlops_runtime.clock import iso, utcnow
from mlops_runtime.config import ConfigError, MonitorConfig
from mlops_runtime.logs import get_logger, log
from mlops_runtime.processing import fail
from mlops_spec.drift import DriftInputError, DriftReport, Profile, compare, render_html

EXIT_INPUT = 2
EXIT_CORRUPT = 3
OVERALL_METRIC = "DriftScore"
COUNT_METRICS = frozenset({"RowsAnalyzed", "CorruptRecords", "DriftedFeatures"})
logger = get_logger(__name__)


class MonitorError(RuntimeError):
    """The job cannot produce a trustworthy drift measurement."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run(
    config: MonitorConfig, *, s3: Any = None, cloudwatch: Any = None, now: datetime | None = None
) -> dict[str, Any]:
    """Measure drift over the window ending ``now``; returns the JSON report written to S3."""
    s3 = s3 or client("s3", config.max_attempts)
    cloudwatch = cloudwatch or client("cloudwatch", config.max_attempts)
    end = now or utcnow()
    start = end - timedelta(hours=config.window_hours)
    profile = load_profile(s3, config.profile_uri)
    batch = read_capture(s3, config, profile, start, end)
    report: dict[str, Any] = {
        "schema_version": 1,
        "system": config.system,
        "model_id": config.model_id,
        "environment": config.environment,
        "endpoint": config.endpoint_name,
        "profile_uri": config.profile_uri,
        "window": {"start": iso(start), "end": iso(end), "hours": config.window_hours},
        "capture": {
            "records": batch.records,
            "corrupt_records": batch.skipped,
            "corrupt_fraction": round(batch.skipped_fraction, 6),
            "records_outside_window": batch.outside_window,
            "problems": batch.problems,
        },
        "rows_analyzed": len(batch.rows),
    }
    if not batch.rows and batch.mismatched:
        raise MonitorError(
            f"schema mismatch: no captured record of {config.endpoint_name} fits the profile's "
            f"features {list(profile.features)}; e.g. {batch.problems[:3]}"
        )
    if batch.skipped_fraction > config.max_corrupt_fraction:
        message = (
            f"{batch.skipped} of {batch.records} captured records "
            f"({batch.skipped_fraction:.1%}) are unreadable, above max_corrupt_fraction "
            f"{config.max_corrupt_fraction:.1%}; e.g. {batch.problems[:3]}"
        )
        report.update(status="failed", error=message, drift=None)
        report["metrics"] = publish(cloudwatch, config, end, _counts(report, no_data=0))
        write_report(s3, config, end, report, None)
        raise MonitorError(message, EXIT_CORRUPT)
    if not batch.rows:
        report.update(status="no_data", drift=None, message="no captured requests in the window")
        report["metrics"] = publish(cloudwatch, config, end, _counts(report, no_data=1))
        write_report(s3, config, end, report, None)
        log(logger, "monitor: no data", model=config.model_id, window=report["window"])
        return report
    try:
        drift = compare(
            profile,
            batch.frame(),
            methods=dict(config.methods) or None,
            thresholds=dict(config.thresholds) or None,
            current_source=f"captured requests of {config.endpoint_name}",
        )
    except DriftInputError as error:
        raise MonitorError(f"schema mismatch: {error}") from error
    report.update(status="ok", drift=drift.to_dict())
    values = {
        **_counts(report, no_data=0),
        OVERALL_METRIC: drift.overall_score,
        "DriftedFeatures": len(drift.drifted_features),
    }
    report["metrics"] = publish(cloudwatch, config, end, values, drift)
    write_report(s3, config, end, report, drift)
    log(
        logger,
        "monitor: drift measured",
        model=config.model_id,
        score=drift.overall_score,
        drifted=drift.drifted_features,
        rows=len(batch.rows),
    )
    return report


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


def read_capture(
    s3: Any, config: MonitorConfig, profile: Profile, start: datetime, end: datetime
) -> capture.CaptureBatch:
    """Every captured request of the window, parsed against the profile's features."""
    bucket, prefix = split_s3_uri(config.capture_uri)
    base = f"{prefix.strip('/')}/{config.endpoint_name}/".lstrip("/")
    batch = capture.CaptureBatch(features=list(profile.features), kinds=profile.kinds)
    for key in capture.list_window(s3, bucket, base, config.variants, start, end):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")
        for line in body.splitlines():
            batch.add_line(line, f"s3://{bucket}/{key}", (start, end))
    return batch


def _counts(report: dict[str, Any], *, no_data: int) -> dict[str, float]:
    return {
        "RowsAnalyzed": report["rows_analyzed"],
        "CorruptRecords": report["capture"]["corrupt_records"],
        "NoData": no_data,
    }


def publish(
    cloudwatch: Any,
    config: MonitorConfig,
    at: datetime,
    values: dict[str, float],
    drift: DriftReport | None = None,
) -> dict[str, Any]:
    """Put the model-level metrics, and per-feature ones when drift was measured."""
    model = [
        {"Name": "Model", "Value": config.model_id},
        {"Name": "Environment", "Value": config.environment},
    ]
    data = [
        {
            "MetricName": name,
            "Dimensions": model,
            "Timestamp": at,
            "Value": float(value),
            "Unit": "Count" if name in COUNT_METRICS else "None",
        }
        for name, value in values.items()
    ]
    for name, result in drift.features.items() if drift else []:
        dimensions = [*model[:1], {"Name": "Feature", "Value": name}, *model[1:]]
        for metric, value in (
            ("FeatureDrifted", 1.0 if result.drifted else 0.0),
            ("FeatureStatistic", result.statistic),
            ("FeaturePSI", result.psi),
        ):
            if value is not None and value == value:  # skip NaN
                data.append(
                    {
                        "MetricName": metric,
                        "Dimensions": dimensions,
                        "Timestamp": at,
                        "Value": float(value),
                        "Unit": "None",
                    }
                )
    for offset in range(0, len(data), 20):
        cloudwatch.put_metric_data(
            Namespace=config.metric_namespace, MetricData=data[offset : offset + 20]
        )
    return {"namespace": config.metric_namespace, "values": values, "datapoints": len(data)}


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
