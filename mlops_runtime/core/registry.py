"""The registry contract: what a package records, and how the champion is found (through a
``ModelRegistry``).

A registered package records the gate's outcome in ``CustomerMetadataProperties``:
``mlops:verdict`` (passed | rejected), ``mlops:gate.metric``, ``mlops:gate.passed``,
``mlops:metric.<name>`` per metric, ``mlops:champion`` (the package it was compared with, or
``none``), ``mlops:evaluated_at``. It may also point ``ModelMetrics.ModelQuality.Statistics``
at its evaluation.json. The champion is the group's most recently created Approved package;
its metrics come from the metadata, else from the report that ``Statistics`` points to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_runtime.core.ports import GroupNotFound, ModelRegistry

PREFIX = "mlops:"
METRIC_PREFIX = "mlops:metric."


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


class ChampionLookupError(RuntimeError):
    """The champion could not be read (no such group, access denied, a missing report, ...):
    the gate must fail rather than compare the candidate with nothing."""


def find_champion(registry: ModelRegistry, group: str) -> Champion | None:
    """The group's latest Approved package and its metrics; None only when the group has no
    Approved package. Any other failure (including ``GroupNotFound``) raises
    ``ChampionLookupError``."""
    try:
        return _champion(registry, group)
    except GroupNotFound as error:
        raise ChampionLookupError(f"model package group {group!r} does not exist") from error
    except Exception as error:
        raise ChampionLookupError(
            f"the champion of model package group {group!r} could not be read: "
            f"{type(error).__name__}: {error}"
        ) from error


def _champion(registry: ModelRegistry, group: str) -> Champion | None:
    latest = registry.latest_approved(group)
    if latest is None:
        return None
    package = registry.package(latest.arn)
    metrics = metrics_from_metadata(package.metadata)
    if metrics:
        return Champion(latest.arn, metrics, "metadata")
    if package.quality_report_uri:
        report = registry.quality_report(package.quality_report_uri)
        return Champion(latest.arn, metrics_from_report(report), "report")
    return Champion(latest.arn, {}, "none")


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
