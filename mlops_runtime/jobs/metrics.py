"""Holdout metrics from the candidate's predictions and the holdout's labels (scikit-learn).

The evaluation never loads the model: the candidate's serving container predicted every
holdout row in a batch transform (``mlops_runtime.jobs.transform_output`` reads them back), and
:func:`predictions` turns what it returned, per ``output``, into labels and scores:

- ``label``: the predicted class (compared as text, ``1`` = ``1.0`` = ``"1"``) or value;
- ``probability``: the positive class's probability (binary only); the label is the positive
  class at 0.5 or more, else the other class;
- ``probabilities``: one probability per class in :func:`sorted_classes` order; the label is
  the likeliest class.

Classification: accuracy, f1, precision, recall (binary: for the positive class; multiclass:
macro averages) and auc (binary: from the positive class's probability; multiclass: one-vs-rest
macro; omitted without probabilities or when the holdout holds a single class). Regression:
rmse, mae, r2. The classes are the holdout's labels; the positive class is ``positive_label``
(as text), else the last class.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

from mlops_runtime.jobs.model_health import as_label


@dataclass(frozen=True)
class Predictions:
    """The holdout scored: true and predicted labels (text) or values, and probabilities."""

    truth: list[Any]
    predicted: list[Any]
    classes: list[str]
    """Classification: the holdout's class labels, sorted; regression: empty."""
    probabilities: np.ndarray | None = None
    """Per row and class (``classes`` order); None when the container returned labels."""
    positive: str | None = None
    """The positive class of a binary classification."""

    @property
    def scores(self) -> np.ndarray | None:
        """Binary: the positive class's probability per row."""
        if self.probabilities is None or self.positive is None:
            return None
        return np.asarray(self.probabilities[:, self.classes.index(self.positive)])


def sorted_classes(labels: Sequence[str]) -> list[str]:
    """Distinct labels, numerically when every one is a number, else as text."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def predictions(
    task: str,
    output: str,
    labels: Sequence[Any],
    values: Sequence[Sequence[Any]],
    positive_label: str | None,
) -> Predictions:
    """What the container returned (``values`` per row), read as ``output`` says."""
    if task == "regression":
        return Predictions(_numbers(labels, "label"), [_one(v, "value") for v in values], [])
    truth = [_label(value) for value in labels]
    classes = sorted_classes(truth)
    positive = _positive(classes, positive_label) if len(classes) <= 2 else None
    if output == "label":
        return Predictions(
            truth, [_label(_one(v, "label")) for v in values], classes, None, positive
        )
    if output == "probability":
        if len(classes) > 2 or positive is None:
            raise ValueError(
                f"output probability is for binary classification; the holdout has classes "
                f"{classes[:10]}"
            )
        scores = np.array([_one(v, "probability") for v in values], dtype="float64")
        _unit(scores)
        negative = [c for c in classes if c != positive] or ["(other)"]
        table = np.column_stack([1 - scores, scores])
        order = [negative[0], positive]
        probabilities = table[:, [order.index(c) for c in classes]] if len(classes) == 2 else None
        predicted = [positive if s >= 0.5 else negative[0] for s in scores]
        return Predictions(truth, predicted, classes, probabilities, positive)
    table = np.array([_numbers(v, "probability") for v in _same_width(values, len(classes))])
    _unit(table)
    predicted = [classes[int(i)] for i in table.argmax(axis=1)]
    return Predictions(truth, predicted, classes, table, positive)


def compute(task: str, scored: Predictions) -> dict[str, float]:
    """The metrics of the scored holdout, finite values only."""
    if task == "regression":
        values = {
            "rmse": math.sqrt(skm.mean_squared_error(scored.truth, scored.predicted)),
            "mae": skm.mean_absolute_error(scored.truth, scored.predicted),
            "r2": skm.r2_score(scored.truth, scored.predicted),
        }
    else:
        values = _classification(scored)
    return {name: float(value) for name, value in values.items() if math.isfinite(value)}


def _classification(scored: Predictions) -> dict[str, float]:
    truth, predicted = scored.truth, scored.predicted
    values = {"accuracy": skm.accuracy_score(truth, predicted)}
    binary = scored.positive is not None
    for name, score in (
        ("f1", skm.f1_score),
        ("precision", skm.precision_score),
        ("recall", skm.recall_score),
    ):
        if binary:
            values[name] = score(truth, predicted, pos_label=scored.positive, zero_division=0)
        else:
            values[name] = score(truth, predicted, average="macro", zero_division=0)
    if len(scored.classes) < 2 or scored.probabilities is None:
        return values
    if binary and scored.scores is not None:
        values["auc"] = skm.roc_auc_score([t == scored.positive for t in truth], scored.scores)
    elif not binary:
        values["auc"] = skm.roc_auc_score(
            truth, scored.probabilities, multi_class="ovr", labels=scored.classes
        )
    return values


def _positive(classes: list[str], positive_label: str | None) -> str | None:
    if positive_label is None:
        return classes[-1] if classes else None
    key = as_label(positive_label)
    if key not in classes and len(classes) == 2:
        raise ValueError(f"positive_label {positive_label!r} is not a holdout class {classes}")
    return key


def _label(value: Any) -> str:
    label = as_label(value)
    if label is None:
        raise ValueError("a label or predicted label is missing")
    return label


def _one(values: Sequence[Any], what: str) -> Any:
    if len(values) != 1:
        raise ValueError(
            f"the container returned {len(values)} values for a row; one {what} per row is "
            "expected (output: probabilities reads one per class)"
        )
    value = values[0]
    return value if what == "label" else _numbers([value], what)[0]


def _numbers(values: Sequence[Any], what: str) -> list[float]:
    try:
        numbers = [float(value) for value in values]
    except (TypeError, ValueError):
        raise ValueError(f"a {what} must be a number, got {list(values)[:5]}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ValueError(f"a {what} must be finite, got {list(values)[:5]}")
    return numbers


def _same_width(values: Sequence[Sequence[Any]], width: int) -> Sequence[Sequence[Any]]:
    for row, value in enumerate(values, start=1):
        if len(value) != width:
            raise ValueError(
                f"row {row}: the container returned {len(value)} probabilities; the holdout "
                f"has {width} classes (one probability per class is expected)"
            )
    return values


def _unit(scores: np.ndarray) -> None:
    if scores.size and (scores.min() < 0 or scores.max() > 1):
        raise ValueError(
            f"probabilities must lie in [0, 1], got {scores.min():g}..{scores.max():g} "
            "(a raw score or log-odds output is not a probability)"
        )
