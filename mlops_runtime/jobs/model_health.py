"""Prediction drift, bias and model quality from captured predictions (pure: no AWS calls).

Conventions shared by the evaluation step (which writes the reference predictions) and the
monitoring job (which reads the served ones):

- **Labels** are compared as text: ``1``, ``1.0``, ``"1"`` and ``"1.0"`` are one label
  (numbers and numeric text are written as the drift engine writes categories: integral values
  without a decimal point); text that is not a plain number (``"yes"``, ``"007"``) stays as is.
- **Scores**: a window's predictions are scores when every one is a number in [0, 1] and not
  all of them are 0 or 1; otherwise they are labels (a regression model's values are numbers
  compared as numbers against a numeric reference, whatever their range).
- **Positive class**: the configured ``positive_label``, else the last of the sorted classes
  (numerically when every class is a number, else as text): scikit-learn's ``classes_[-1]``,
  which the evaluation step also uses by default. A score is positive at or above
  ``score_threshold`` (0.5).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from mlops_runtime.contract.config import BiasCheck, PredictionDriftCheck, QualityCheck
from mlops_runtime.drift import Profile, compare
from mlops_runtime.drift.columns import category_key

PREDICTION = "prediction"
"""Profile column of the model's predictions (labels: categorical; regression: numeric)."""
SCORE = "score"
"""Profile column of a binary classifier's positive-class probability (numeric)."""
LABELS = "labels"
SCORES = "scores"
NUMBERS = "numbers"
REGRESSION_METRICS = frozenset({"rmse", "mae", "r2"})
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class NotComputable(ValueError):
    """The check has nothing (or not enough) to measure; the message says why."""


# --- values ----------------------------------------------------------------------------------


def as_number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric text; None otherwise (booleans too)."""
    if value is None or isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            return None
        value = text
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def as_label(value: Any) -> str | None:
    """The text a label is compared by (see the module docstring); None when missing."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        plain = _NUMBER.fullmatch(text) and not re.match(r"[+-]?0\d", text)
        return category_key(float(text)) if plain else text
    return category_key(value)


def sorted_classes(classes: Iterable[str | None]) -> list[str]:
    """Distinct classes in scikit-learn's order (numeric when all are numbers)."""
    distinct = {c for c in classes if c is not None}
    if all(as_number(c) is not None for c in distinct):
        return sorted(distinct, key=lambda c: (as_number(c), c))
    return sorted(distinct)


def positive_class(configured: str | None, classes: Iterable[str | None]) -> str | None:
    """The configured positive label (as a label), else the last sorted class."""
    if configured is not None:
        return as_label(configured)
    ordered = sorted_classes(classes)
    return ordered[-1] if ordered else None


def prediction_form(predictions: Sequence[Any]) -> str:
    """``scores`` when every prediction is a number in [0, 1] and not all are 0 or 1, else
    ``labels``."""
    numbers = [as_number(p) for p in predictions if p is not None]
    if not numbers or any(n is None or not 0 <= n <= 1 for n in numbers):
        return LABELS
    return SCORES if any(n not in (0.0, 1.0) for n in numbers) else LABELS


def reference_classes(profile: Profile | None) -> list[str]:
    """The classes of a categorical reference prediction column (empty otherwise)."""
    feature = profile.features.get(PREDICTION) if profile else None
    categories = getattr(feature, "categories", None)
    return list(categories) if categories else []


# --- prediction drift -----------------------------------------------------------------------


def prediction_drift(
    profile: Profile, predictions: Sequence[Any], check: PredictionDriftCheck
) -> dict[str, Any]:
    """Compare the window's predictions with the reference predictions (one-column test).

    A numeric reference (regression) is compared with the predictions as numbers; a
    categorical one (class labels) with the predictions as labels, or, when the endpoint
    returns scores, the reference's ``score`` column with the scores.
    """
    kinds = profile.kinds
    if PREDICTION not in kinds:
        raise NotComputable(f"the prediction profile has no {PREDICTION!r} column")
    form = prediction_form(predictions)
    if kinds[PREDICTION] == "numeric":
        column, form = PREDICTION, NUMBERS
    elif form == SCORES:
        if SCORE not in kinds:
            raise NotComputable(
                "the endpoint returns scores but the reference holds class labels only (the "
                "model has no predict_proba for a binary task)"
            )
        column = SCORE
    else:
        column = PREDICTION
    numeric = kinds[column] == "numeric"
    values = [as_number(p) if numeric else as_label(p) for p in predictions]
    present = sum(v is not None for v in values)
    if not present:
        raise NotComputable(f"no captured prediction holds a {'number' if numeric else 'label'}")
    method = check.method
    if method in ("ks", "chi2"):
        method = "ks" if numeric else "chi2"
    frame = pd.DataFrame({column: pd.Series(values, dtype="float64" if numeric else "object")})
    result = compare(
        profile,
        frame,
        features=[column],
        methods={column: method},
        thresholds={column: check.threshold},
        current_source="captured predictions",
    ).features[column]
    return {
        "status": "ok",
        "column": column,
        "form": form,
        "method": method,
        "threshold": check.threshold,
        "statistic": _finite(result.statistic),
        "p_value": _finite(result.p_value),
        "drifted": result.drifted,
        "psi": _finite(result.psi),
        "rows": len(values),
        "missing": len(values) - present,
        "result": result.to_dict(),
    }


# --- bias ------------------------------------------------------------------------------------


def demographic_parity(
    groups: Sequence[Any],
    predictions: Sequence[Any],
    check: BiasCheck,
    classes: Sequence[str] = (),
) -> dict[str, Any]:
    """Largest difference in positive-prediction rate between groups of at least
    ``min_group_rows`` rows (``status`` ``no_data`` with a ``reason`` when fewer than two such
    groups exist). ``classes``: the reference's classes (for the positive label)."""
    form = prediction_form(predictions)
    if form == SCORES:
        scores = [as_number(p) for p in predictions]
        flags = [None if s is None else s >= check.score_threshold for s in scores]
        positive = f"score >= {check.score_threshold:g}"
    else:
        labels = [as_label(p) for p in predictions]
        label = positive_class(check.positive_label, classes or labels)
        flags = [None if x is None else x == label for x in labels]
        positive = f"label {label!r}"
    counts: dict[str, list[int]] = {}
    skipped = 0
    for group, flag in zip(groups, flags, strict=True):
        key = as_label(group)
        if key is None or flag is None:
            skipped += 1
            continue
        tally = counts.setdefault(key, [0, 0])
        tally[0] += 1
        tally[1] += int(flag)
    kept = {g: (n, p / n) for g, (n, p) in sorted(counts.items()) if n >= check.min_group_rows}
    ignored = {g: n for g, (n, _) in sorted(counts.items()) if n < check.min_group_rows}
    summary: dict[str, Any] = {
        "feature": check.feature,
        "form": form,
        "positive": positive,
        "min_group_rows": check.min_group_rows,
        "rows": len(flags) - skipped,
        "rows_without_group_or_prediction": skipped,
        "groups": {g: {"rows": n, "positive_rate": rate} for g, (n, rate) in kept.items()},
        "ignored_groups": ignored,
    }
    if len(kept) < 2:
        sizes = {g: n for g, (n, _) in sorted(counts.items())}
        summary.update(
            status="no_data",
            reason=f"fewer than two groups of {check.feature!r} have at least "
            f"{check.min_group_rows} rows (rows per group: {sizes})",
        )
        return summary
    rates = {g: rate for g, (_, rate) in kept.items()}
    highest, lowest = max(rates, key=lambda g: rates[g]), min(rates, key=lambda g: rates[g])
    summary.update(
        status="ok",
        demographic_parity_difference=rates[highest] - rates[lowest],
        highest_group=highest,
        lowest_group=lowest,
    )
    return summary


# --- model quality ---------------------------------------------------------------------------


def join(
    captured: Iterable[tuple[str | None, Sequence[Any]]], truth: pd.DataFrame, check: QualityCheck
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Captured (inference id, predictions) joined with ground-truth rows on the inference id.

    A request joins when it carries an inference id and exactly one prediction; the latest
    ground-truth row of an id wins (``truth`` in reading order). Returns the frame
    (``inference_id``, ``prediction``, ``label``) and counts of what did not join.
    """
    served: dict[str, Any] = {}
    stats = {"without_inference_id": 0, "several_predictions": 0, "duplicate_inference_ids": 0}
    for inference_id, predictions in captured:
        if inference_id is None:
            stats["without_inference_id"] += 1
        elif len(predictions) != 1:
            stats["several_predictions"] += 1
        else:
            stats["duplicate_inference_ids"] += inference_id in served
            served[inference_id] = predictions[0]
    labels: dict[str, Any] = {}
    if len(truth):
        ids = [as_label(v) for v in truth[check.inference_id_column].tolist()]
        for key, label in zip(ids, truth[check.label].tolist(), strict=True):
            if key is not None:
                labels[key] = label
    joined = [(key, served[key], labels[key]) for key in served if key in labels]
    stats["captured_with_inference_id"] = len(served)
    stats["ground_truth_ids"] = len(labels)
    frame = pd.DataFrame(joined, columns=["inference_id", "prediction", "label"])
    return frame, stats


def quality(joined: pd.DataFrame, check: QualityCheck) -> tuple[dict[str, float], dict[str, str]]:
    """The configured metrics on the joined rows: (values, reasons for those not computed)."""
    values: dict[str, float] = {}
    reasons: dict[str, str] = {}
    if joined.empty:
        return {}, {m: "no captured prediction joined a ground-truth label" for m in check.metrics}
    predictions, labels = joined["prediction"].tolist(), joined["label"].tolist()
    form = prediction_form(predictions)
    for metric in check.metrics:
        try:
            if metric in REGRESSION_METRICS:
                value = _regression(metric, predictions, labels)
            else:
                value = _classification(metric, form, predictions, labels, check)
        except NotComputable as reason:
            reasons[metric] = str(reason)
            continue
        if math.isfinite(value):
            values[metric] = value
        else:
            reasons[metric] = f"{metric} is not finite on these rows"
    return values, reasons


def _regression(metric: str, predictions: list[Any], labels: list[Any]) -> float:
    pairs = [(as_number(p), as_number(y)) for p, y in zip(predictions, labels, strict=True)]
    kept = [(p, y) for p, y in pairs if p is not None and y is not None]
    if len(kept) < (2 if metric == "r2" else 1):
        raise NotComputable(
            f"{metric} needs numeric predictions and labels; {len(kept)} rows have both"
        )
    predicted, truth = np.array([p for p, _ in kept]), np.array([y for _, y in kept])
    if metric == "rmse":
        return math.sqrt(skm.mean_squared_error(truth, predicted))
    if metric == "mae":
        return float(skm.mean_absolute_error(truth, predicted))
    return float(skm.r2_score(truth, predicted))


def _classification(
    metric: str, form: str, predictions: list[Any], labels: list[Any], check: QualityCheck
) -> float:
    truth = [as_label(y) for y in labels]
    if form == SCORES:
        scores = [as_number(p) for p in predictions]
        rows = [
            (s, y) for s, y in zip(scores, truth, strict=True) if s is not None and y is not None
        ]
        classes = sorted_classes(y for _, y in rows)
        if len(classes) > 2:
            raise NotComputable(
                f"the endpoint returns one score per request but the ground truth has "
                f"{len(classes)} classes"
            )
        positive = positive_class(check.positive_label, classes)
        actual = np.array([y == positive for _, y in rows], dtype=bool)
        if metric == "auc":
            if len(set(actual.tolist())) < 2:
                raise NotComputable("auc needs both classes in the joined ground truth")
            return float(skm.roc_auc_score(actual, np.array([s for s, _ in rows])))
        predicted = np.array([s >= check.score_threshold for s, _ in rows], dtype=bool)
        return _label_metric(metric, actual.tolist(), predicted.tolist(), True)
    if metric == "auc":
        raise NotComputable("auc needs scores; the endpoint returns class labels")
    served = [as_label(p) for p in predictions]
    rows_ = [(p, y) for p, y in zip(served, truth, strict=True) if p is not None and y is not None]
    if not rows_:
        raise NotComputable("no joined row has both a predicted and a true label")
    classes = sorted_classes([*(p for p, _ in rows_), *(y for _, y in rows_)])
    if len(classes) <= 2:
        positive = positive_class(check.positive_label, classes)
        return _label_metric(
            metric, [y == positive for _, y in rows_], [p == positive for p, _ in rows_], True
        )
    return _label_metric(metric, [y for _, y in rows_], [p for p, _ in rows_], None, classes)


def _label_metric(
    metric: str,
    truth: list[Any],
    predicted: list[Any],
    positive: Any,
    classes: list[str] | None = None,
) -> float:
    if metric == "accuracy":
        return float(skm.accuracy_score(truth, predicted))
    score = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[
        metric
    ]
    if classes is None:
        return float(score(truth, predicted, pos_label=positive, zero_division=0))
    return float(score(truth, predicted, labels=classes, average="macro", zero_division=0))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
