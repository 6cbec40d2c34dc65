"""The model registry contract: what a package records, and how the champion is found.

A registered package records the gate's outcome in ``CustomerMetadataProperties``:
``mlops:verdict`` (passed | rejected), ``mlops:gate.metric``, ``mlops:gate.passed``,
``mlops:metric.<name>`` per metric, ``mlops:champion`` (the package it was compared with, or
``none``), ``mlops:evaluated_at``. It may also point ``ModelMetrics.ModelQuality.Statistics``
at its evaluation.json. The champion is the group's most recently created Approved package;
its metrics come from the metadata, else from the report that ``Statistics`` points to.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_runtime.aws import error_code, split_s3_uri

PREFIX = "mlops:"
METRIC_PREFIX = "mlops:metric."
PAGE_SIZE = 100
"""ListModelPackages page size (the API's maximum)."""


@dataclass(frozen=True)
class Champion:
    """The package currently approved for a group, with its recorded metrics."""

    model_package_arn: str
    metrics: dict[str, float]
    source: str  # "metadata", "report" or "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_package_arn": self.model_package_arn,
            "metrics": self.metrics,
            "source": self.source,
        }


def package_metadata(evaluation: Mapping[str, Any]) -> dict[str, str]:
    """``CustomerMetadataProperties`` recording an evaluation.json's verdict and metrics."""
    gate = evaluation["gate"]
    champion = evaluation.get("champion") or {}
    metadata = {
        f"{PREFIX}verdict": str(evaluation["verdict"]),
        f"{PREFIX}gate.metric": str(gate["metric"]),
        f"{PREFIX}gate.passed": "true" if gate["passed"] else "false",
        f"{PREFIX}champion": str(champion.get("model_package_arn") or "none"),
        f"{PREFIX}evaluated_at": str(evaluation["evaluated_at"]),
    }
    for name, value in sorted(evaluation["metrics"].items()):
        if math.isfinite(value):
            metadata[f"{METRIC_PREFIX}{name}"] = format(value, ".10g")
    return metadata


def metrics_from_metadata(metadata: Mapping[str, str]) -> dict[str, float]:
    """The ``mlops:metric.*`` entries as floats."""
    found = {}
    for key, value in metadata.items():
        if key.startswith(METRIC_PREFIX):
            try:
                found[key[len(METRIC_PREFIX) :]] = float(value)
            except ValueError:
                continue
    return found


def metrics_from_report(report: Mapping[str, Any]) -> dict[str, float]:
    """Metrics of an evaluation.json, or of a SageMaker model-quality statistics document."""
    if isinstance(report.get("metrics"), Mapping):
        metrics = {k: _number(v) for k, v in report["metrics"].items()}
        return {k: v for k, v in metrics.items() if v is not None}
    found = {}
    for section, entries in report.items():
        if section.endswith("_metrics") and isinstance(entries, Mapping):
            for name, entry in entries.items():
                value = _number(entry.get("value") if isinstance(entry, Mapping) else None)
                if value is not None:
                    found[name] = value
    return found


class NoChampionError(LookupError):
    """The model package group has no Approved package."""


def latest_approved(sagemaker: Any, group: str) -> dict[str, Any] | None:
    """The ``ModelPackageSummary`` of the group's most recently created Approved package.

    Every page of ``ListModelPackages`` (Approved only) is read and the newest is chosen here
    by (CreationTime, ModelPackageVersion), so the answer does not depend on the server's sort
    order and a tie in creation time goes to the higher version. None when there is none.
    """
    newest: dict[str, Any] | None = None
    kwargs: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelApprovalStatus": "Approved",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": PAGE_SIZE,
    }
    while True:
        page = sagemaker.list_model_packages(**kwargs)
        for summary in page.get("ModelPackageSummaryList", []):
            if newest is None or _recency(summary) > _recency(newest):
                newest = summary
        token = page.get("NextToken")
        if not token:
            return newest
        kwargs["NextToken"] = token


def _recency(summary: Mapping[str, Any]) -> tuple[float, int]:
    created = summary.get("CreationTime")
    timestamp = getattr(created, "timestamp", None)
    stamp = float(timestamp()) if callable(timestamp) else 0.0
    return stamp, int(summary.get("ModelPackageVersion") or 0)


def find_champion(sagemaker: Any, s3: Any, group: str) -> Champion | None:
    """The group's latest Approved package and its metrics; None when there is none."""
    try:
        latest = latest_approved(sagemaker, group)
    except Exception as error:
        if error_code(error) in {"ResourceNotFound", "ValidationException"}:
            return None
        raise
    if latest is None:
        return None
    arn = latest["ModelPackageArn"]
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    metrics = metrics_from_metadata(package.get("CustomerMetadataProperties") or {})
    if metrics:
        return Champion(arn, metrics, "metadata")
    uri = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
    if uri:
        bucket, key = split_s3_uri(uri)
        report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return Champion(arn, metrics_from_report(report), "report")
    return Champion(arn, {}, "none")


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
