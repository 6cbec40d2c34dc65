"""Evaluation and champion gate: the pipeline's evaluation ProcessingStep.

Runs on the SageMaker scikit-learn image as ``python -m mlops_runtime.evaluate`` with
an ``EvaluateConfig`` in the file ``MLOPS_RUNTIME_CONFIG_FILE`` names (the step's ``config``
input). Reads the candidate artifact from
``/opt/ml/processing/model`` and the holdout set from ``/opt/ml/processing/holdout``; writes
``/opt/ml/processing/evaluation/evaluation.json``. The pipeline declares
``PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")`` and
its ConditionStep tests ``JsonGet(..., json_path="gate.passed") == True``; the register step
attaches ``package_metadata(evaluation)`` as the package's CustomerMetadataProperties.

It also writes ``predictions.json`` beside it: the drift engine's profile of the candidate's
holdout predictions (column ``prediction``: numeric for regression, the class labels as text
for classification; plus ``score``, the positive-class probability, for a binary classifier
with ``predict_proba``). The Profile step copies it next to ``profile.json`` when the gate
passes; the monitoring job compares served predictions with it (prediction drift).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_runtime.aws.clients import client
from mlops_runtime.aws.registry import SageMakerRegistry
from mlops_runtime.contract.config import ConfigError, EvaluateConfig
from mlops_runtime.core import gate
from mlops_runtime.core.clock import iso, utcnow
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.core.ports import ModelRegistry
from mlops_runtime.core.registry import (
    Champion,
    ChampionLookupError,
    find_champion,
    package_metadata,
)
from mlops_runtime.drift import DriftInputError, Profile, build_profile
from mlops_runtime.jobs import artifacts, metrics, model_health
from mlops_runtime.jobs.processing import fail

__all__ = ["EvaluationError", "main", "package_metadata", "run"]

MODEL_DIR = "/opt/ml/processing/model"
HOLDOUT_DIR = "/opt/ml/processing/holdout"
OUTPUT_DIR = "/opt/ml/processing/evaluation"
REPORT_NAME = "evaluation.json"
PREDICTIONS_NAME = "predictions.json"
PASSED = "passed"
REJECTED = "rejected"

logger = get_logger(__name__)


class EvaluationError(RuntimeError):
    """The candidate could not be evaluated (bad artifact, holdout or configuration)."""


def run(
    config: EvaluateConfig,
    model_path: str | Path,
    holdout_path: str | Path,
    output_dir: str | Path,
    *,
    registry: ModelRegistry | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Evaluate the candidate, apply the gate, write and return evaluation.json.

    ``registry`` finds the champion (default: SageMaker's, with the runtime's clients)."""
    try:
        model = artifacts.load_model(model_path)
        holdout = artifacts.load_table(holdout_path)
    except artifacts.ArtifactError as error:
        raise EvaluationError(str(error)) from error
    features, labels = _split(config, holdout)
    try:
        values = metrics.compute(config.task, model, features, labels, config.positive_label)
        predictions = prediction_profile(config, model, features)
    except ValueError as error:  # DriftInputError included
        raise EvaluationError(f"scoring the holdout failed: {error}") from error
    champion, champion_error = _champion(config, registry)
    result = gate.apply(config.gate, values, champion.metrics if champion else None, champion_error)
    evaluation = {
        "schema_version": 1,
        "model_id": config.model_id,
        "task": config.task,
        "evaluated_at": iso(now or utcnow()),
        "holdout": {"rows": len(holdout), "label": config.label, "features": list(features)},
        "metrics": values,
        "champion": champion.to_dict() if champion else None,
        "champion_error": champion_error,
        "gate": result.to_dict(),
        "verdict": PASSED if result.passed else REJECTED,
        "predictions": {"file": PREDICTIONS_NAME, "columns": predictions.kinds},
    }
    evaluation["package_metadata"] = package_metadata(evaluation)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / PREDICTIONS_NAME).write_text(predictions.to_json(), encoding="utf-8")
    (output / REPORT_NAME).write_text(json.dumps(evaluation, indent=2, sort_keys=True))
    log(
        logger,
        f"evaluation: {evaluation['verdict']}",
        model=config.model_id,
        metrics=values,
        gate=evaluation["gate"],
        champion=evaluation["champion"],
    )
    return evaluation


def _champion(
    config: EvaluateConfig, registry: ModelRegistry | None
) -> tuple[Champion | None, str | None]:
    """(the champion the gate compares with, None without a package group or an Approved
    package; why it could not be read, which fails the gate)."""
    if not config.model_package_group:
        return None, None
    if registry is None:
        registry = SageMakerRegistry(
            client("sagemaker", config.max_attempts), client("s3", config.max_attempts)
        )
    try:
        return find_champion(registry, config.model_package_group), None
    except ChampionLookupError as error:
        log(logger, "evaluation: champion unknown", logging.ERROR, error=str(error))
        return None, str(error)


def prediction_profile(config: EvaluateConfig, model: Any, features: pd.DataFrame) -> Profile:
    """The drift profile of the model's holdout predictions (see the module docstring)."""
    predicted = model.predict(features)
    if config.task == "regression":
        frame = pd.DataFrame({model_health.PREDICTION: np.asarray(predicted, dtype="float64")})
        kinds = {model_health.PREDICTION: "numeric"}
    else:
        labels = [model_health.as_label(value) for value in predicted]
        frame = pd.DataFrame({model_health.PREDICTION: pd.Series(labels, dtype="object")})
        kinds = {model_health.PREDICTION: "categorical"}
        classes = list(getattr(model, "classes_", []))
        if len(classes) == 2 and hasattr(model, "predict_proba"):
            positive = metrics.positive_class(classes, config.positive_label)
            scores = model.predict_proba(features)[:, classes.index(positive)]
            frame[model_health.SCORE] = np.asarray(scores, dtype="float64")
            kinds[model_health.SCORE] = "numeric"
    try:
        return build_profile(frame, kinds, source=f"holdout predictions of {config.model_id}")
    except DriftInputError as error:
        raise ValueError(f"profiling the predictions failed: {error}") from error


def _split(config: EvaluateConfig, holdout: Any) -> tuple[Any, Any]:
    if config.label not in holdout.columns:
        raise EvaluationError(
            f"holdout has no label column {config.label!r}; columns: {list(holdout.columns)}"
        )
    names = list(config.features) or [c for c in holdout.columns if c != config.label]
    missing = [name for name in names if name not in holdout.columns]
    if missing:
        raise EvaluationError(f"holdout lacks feature column(s) {missing}")
    if holdout.empty:
        raise EvaluationError("holdout set is empty")
    return holdout[names], holdout[config.label]


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.evaluate")
    parser.add_argument("--model", default=MODEL_DIR, help="model.tar.gz or its directory")
    parser.add_argument("--holdout", default=HOLDOUT_DIR, help="holdout file or directory")
    parser.add_argument("--output", default=OUTPUT_DIR, help="directory for evaluation.json")
    args = parser.parse_args(argv)
    try:
        config = EvaluateConfig.from_env()
        run(config, args.model, args.holdout, args.output)
    except (ConfigError, EvaluationError) as error:
        return fail(f"evaluation failed: {error}", 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
