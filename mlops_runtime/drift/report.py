"""The result of a comparison: one verdict per feature, an overall score, JSON-ready."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

REPORT_VERSION = 1


@dataclass(frozen=True)
class Histogram:
    """Counts per bucket on both sides; ``edges`` are the inner bin edges of a numeric feature."""

    labels: list[str]
    reference: list[int]
    current: list[int]
    edges: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "labels": self.labels,
            "reference": self.reference,
            "current": self.current,
        }
        if self.edges is not None:
            data["edges"] = self.edges
        return data


@dataclass(frozen=True)
class FeatureResult:
    """The verdict on one feature.

    ``threshold`` is the value the verdict compared against: for p-value methods the corrected
    per-test alpha (``p_value < threshold`` means drifted), otherwise the statistic's limit
    (``statistic > threshold`` means drifted). ``configured_threshold`` is the value before
    correction. ``psi`` is reported for every feature whatever the method.
    """

    name: str
    kind: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    configured_threshold: float
    drifted: bool
    psi: float
    rows_reference: int
    rows_current: int
    missing_reference: int
    missing_current: int
    histogram: Histogram
    error_bound: float | None = None
    unseen: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "method": self.method,
            "statistic": _number(self.statistic),
            "p_value": _number(self.p_value),
            "threshold": self.threshold,
            "configured_threshold": self.configured_threshold,
            "drifted": self.drifted,
            "psi": _number(self.psi),
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "missing_reference": self.missing_reference,
            "missing_current": self.missing_current,
            "histogram": self.histogram.to_dict(),
        }
        if self.error_bound is not None:
            data["error_bound"] = self.error_bound
        if self.unseen:
            data["unseen"] = dict(self.unseen)
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class DriftReport:
    """Verdicts for every compared feature.

    ``overall_score`` is the fraction of compared features that drifted (0.0 to 1.0): the
    number a monitoring alarm watches.
    """

    features: dict[str, FeatureResult]
    rows_reference: int
    rows_current: int
    correction: str
    reference_kind: str
    ks_pvalue: str = "kolmogorov"
    source: str = "current data"

    @property
    def drifted_features(self) -> list[str]:
        return [name for name, result in self.features.items() if result.drifted]

    @property
    def drifted(self) -> bool:
        return bool(self.drifted_features)

    @property
    def overall_score(self) -> float:
        return len(self.drifted_features) / len(self.features) if self.features else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            "features": {name: result.to_dict() for name, result in self.features.items()},
            "drifted_features": self.drifted_features,
            "overall_score": self.overall_score,
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "correction": self.correction,
            "ks_pvalue": self.ks_pvalue,
            "reference": self.reference_kind,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _number(value: float | None) -> float | None:
    """JSON has no NaN: undefined statistics become null."""
    if value is None or math.isnan(value):
        return None
    return float(value)
