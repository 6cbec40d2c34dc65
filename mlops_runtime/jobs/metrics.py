"""Holdout metrics computed with scikit-learn.

Classification: accuracy, f1, precision, recall (binary: for the positive class; multiclass:
macro averages) and auc (binary: from ``predict_proba`` or ``decision_function``; multiclass:
one-vs-rest macro from ``predict_proba``; omitted when the model gives no scores or the holdout
holds a single class). Regression: rmse, mae, r2.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm


def compute(
    task: str, model: Any, features: pd.DataFrame, labels: pd.Series, positive_label: str | None
) -> dict[str, float]:
    """Metrics of ``model`` on the holdout, finite values only."""
    if task == "regression":
        values = _regression(model, features, labels)
    else:
        values = _classification(model, features, labels, positive_label)
    return {name: float(value) for name, value in values.items() if math.isfinite(value)}


def _regression(model: Any, features: pd.DataFrame, labels: pd.Series) -> dict[str, float]:
    predicted = model.predict(features)
    return {
        "rmse": math.sqrt(skm.mean_squared_error(labels, predicted)),
        "mae": skm.mean_absolute_error(labels, predicted),
        "r2": skm.r2_score(labels, predicted),
    }


def _classification(
    model: Any, features: pd.DataFrame, labels: pd.Series, positive_label: str | None
) -> dict[str, float]:
    classes = list(getattr(model, "classes_", np.unique(labels)))
    predicted = model.predict(features)
    values = {"accuracy": skm.accuracy_score(labels, predicted)}
    if len(classes) == 2:
        positive = _positive(classes, positive_label)
        for name, score in (
            ("f1", skm.f1_score),
            ("precision", skm.precision_score),
            ("recall", skm.recall_score),
        ):
            values[name] = score(labels, predicted, pos_label=positive, zero_division=0)
        scores = _binary_scores(model, features, classes.index(positive))
        if scores is not None and labels.nunique() == 2:
            values["auc"] = skm.roc_auc_score(labels == positive, scores)
    else:
        for name, score in (
            ("f1", skm.f1_score),
            ("precision", skm.precision_score),
            ("recall", skm.recall_score),
        ):
            values[name] = score(labels, predicted, average="macro", zero_division=0)
        if hasattr(model, "predict_proba") and set(labels) == set(classes):
            values["auc"] = skm.roc_auc_score(
                labels, model.predict_proba(features), multi_class="ovr", labels=classes
            )
    return values


def positive_class(classes: list[Any], positive_label: str | None) -> Any:
    """The positive class of a binary model: ``positive_label`` (as text), else the last."""
    return _positive(classes, positive_label)


def _positive(classes: list[Any], positive_label: str | None) -> Any:
    if positive_label is None:
        return classes[-1]
    for candidate in classes:
        if str(candidate) == positive_label:
            return candidate
    raise ValueError(f"positive_label {positive_label!r} is not a model class {classes}")


def _binary_scores(model: Any, features: pd.DataFrame, positive_index: int) -> Any:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(features)[:, positive_index]
    if hasattr(model, "decision_function"):
        scores = model.decision_function(features)
        return scores if positive_index == 1 else -scores
    return None
