"""What the monitoring job reads and writes in S3: the reference profiles, captured requests,
ground truth, and the run's drift.json / drift.html report."""

from __future__ import annotations

import html
import io
import json
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import pandas as pd

from mlops_runtime.aws.clients import error_code, split_s3_uri
from mlops_runtime.contract.config import MonitorConfig, QualityCheck
from mlops_runtime.core.clock import iso
from mlops_runtime.drift import DriftInputError, DriftReport, Profile, render_html
from mlops_runtime.jobs import capture, model_health

EXIT_INPUT = 2
EXIT_CORRUPT = 3
GROUND_TRUTH_SUFFIXES = {
    "parquet": (".parquet", ".pq"),
    "csv": (".csv", ".csv.gz"),
    "jsonl": (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"),
}


class MonitorError(RuntimeError):
    """The job cannot produce a trustworthy measurement."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load_profile(s3: Any, uri: str) -> Profile:
    """The reference profile, or a MonitorError saying why it cannot be used."""
    bucket, key = split_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:
        code = error_code(error)
        if code in {"AccessDenied", "403"}:
            raise MonitorError(
                f"reference profile {uri} cannot be read: access denied ({code}); the job's "
                "role needs s3:GetObject on it and kms:Decrypt on the system key"
            ) from error
        if code in {"NoSuchKey", "NoSuchBucket", "404"}:
            raise MonitorError(
                f"reference profile {uri} does not exist ({code}); for a latest_approved "
                "endpoint the deploy function copies the served package's there once the "
                "endpoint is InService, otherwise the training pipeline's Profile step writes "
                "it when a candidate passes the gate (or build it with `mlops drift profile` "
                "and upload it there)"
            ) from error
        raise
    try:
        return Profile.from_json(body.decode("utf-8"), source=uri)
    except (DriftInputError, UnicodeDecodeError) as error:
        raise MonitorError(f"reference profile {uri} is unusable: {error}") from error


def load_optional_profile(s3: Any, uri: str, what: str) -> Profile:
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
