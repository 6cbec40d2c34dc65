"""The monitoring job's CloudWatch metrics: the one place their names and dimensions are written.

``mlops_runtime.monitoring_job`` publishes exactly these; the planner
(``mlops_spec.plan.alarms``) imports the same names to build alarms, so an alarm can only watch
a metric the job publishes. ``published(config)`` lists every series a job with that
configuration may publish; the plan tests check every alarm of every example against it and
the runtime tests check every datapoint the job puts against it.

All series live in the system namespace (``MonitorConfig.metric_namespace``) and carry the
dimensions ``Model`` and ``Environment``; per-feature series add ``Feature``, quality series
``Metric`` (always in the order Model, <extra>, Environment).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_runtime.contract.config import MonitorConfig

MODEL = "Model"
ENVIRONMENT = "Environment"
FEATURE = "Feature"
METRIC = "Metric"

# Every run.
CORRUPT_RECORDS = "CorruptRecords"
NO_DATA = "NoData"

# Input-feature drift (data_drift monitors).
DRIFT_SCORE = "DriftScore"
DRIFTED_FEATURES = "DriftedFeatures"
ROWS_ANALYZED = "RowsAnalyzed"
FEATURE_DRIFTED = "FeatureDrifted"
FEATURE_STATISTIC = "FeatureStatistic"
FEATURE_PSI = "FeaturePSI"

# Prediction drift (prediction_drift monitors).
PREDICTION_DRIFT = "PredictionDrift"
"""The test statistic of the predictions against the reference predictions (PSI, KS D,
chi-square or classifier AUC)."""
PREDICTION_DRIFT_P_VALUE = "PredictionDriftPValue"
"""The p-value, for the p-value methods (ks, chi2) only."""
PREDICTION_DRIFTED = "PredictionDrifted"
PREDICTION_ROWS = "PredictionRows"
PREDICTION_DRIFT_NO_DATA = "PredictionDriftNoData"

# Bias (bias monitors).
DEMOGRAPHIC_PARITY_DIFFERENCE = "DemographicParityDifference"
BIAS_NO_DATA = "BiasNoData"

# Model quality (model_quality monitors); ModelQuality and ModelQualityNoData add Metric.
MODEL_QUALITY = "ModelQuality"
MODEL_QUALITY_NO_DATA = "ModelQualityNoData"
GROUND_TRUTH_ROWS = "GroundTruthRows"

COUNT_METRICS = frozenset(
    {
        CORRUPT_RECORDS,
        ROWS_ANALYZED,
        DRIFTED_FEATURES,
        PREDICTION_ROWS,
        GROUND_TRUTH_ROWS,
    }
)
"""Published with Unit Count; every other metric with Unit None."""

P_VALUE_METHODS = frozenset({"ks", "chi2"})
"""Drift methods whose verdict is ``p_value < threshold``; the others drift when
``statistic > threshold``."""

Dimensions = tuple[tuple[str, str], ...]
Series = tuple[str, Dimensions]


def dimensions(model: str, environment: str, *extra: tuple[str, str]) -> Dimensions:
    """``((Model, m), *extra, (Environment, e))``: the dimensions of one series."""
    return ((MODEL, model), *extra, (ENVIRONMENT, environment))


def prediction_drift_metric(method: str) -> str:
    """The series a prediction-drift alarm watches for ``method``: the p-value for ks and chi2
    (drifted when below the threshold), the statistic otherwise (drifted when above)."""
    return PREDICTION_DRIFT_P_VALUE if method in P_VALUE_METHODS else PREDICTION_DRIFT


def published(config: MonitorConfig, features: Iterable[str] | None = None) -> frozenset[Series]:
    """Every (metric name, dimensions) the job may publish with ``config``. Per-feature drift
    series are listed for ``features`` (default: the features of ``config.methods``)."""
    model = dimensions(config.model_id, config.environment)
    names = [CORRUPT_RECORDS, NO_DATA]
    series: set[Series] = set()
    if config.data_drift:
        names += [DRIFT_SCORE, DRIFTED_FEATURES, ROWS_ANALYZED]
        for feature in config.methods if features is None else features:
            per_feature = dimensions(config.model_id, config.environment, (FEATURE, feature))
            series |= {
                (name, per_feature) for name in (FEATURE_DRIFTED, FEATURE_STATISTIC, FEATURE_PSI)
            }
    if config.prediction_drift:
        names += [PREDICTION_DRIFT, PREDICTION_DRIFTED, PREDICTION_ROWS, PREDICTION_DRIFT_NO_DATA]
        if config.prediction_drift.method in P_VALUE_METHODS:
            names.append(PREDICTION_DRIFT_P_VALUE)
    if config.bias:
        names += [DEMOGRAPHIC_PARITY_DIFFERENCE, BIAS_NO_DATA]
    if config.model_quality:
        names.append(GROUND_TRUTH_ROWS)
        for metric in config.model_quality.metrics:
            per_metric = dimensions(config.model_id, config.environment, (METRIC, metric))
            series |= {(MODEL_QUALITY, per_metric), (MODEL_QUALITY_NO_DATA, per_metric)}
    series |= {(name, model) for name in names}
    return frozenset(series)
