"""Evaluation and champion gate: the training pipeline's Evaluate ProcessingStep.

The candidate's own serving container predicted the holdout in the pipeline's ``ScoreHoldout``
batch transform (the image and artifact the package will serve), so any SageMaker-contract
container is scored the same way: this step never loads the model. It runs on the SageMaker
scikit-learn image as ``python -m mlops_runtime.evaluate`` with an ``EvaluateConfig`` in the
file ``MLOPS_RUNTIME_CONFIG_FILE`` names (the step's ``config`` input), reads the prepared
holdout from ``/opt/ml/processing/holdout`` (the ``PrepareHoldout`` step's output) and the
transform's output from ``/opt/ml/processing/predictions`` (one ``.out`` file per prepared
file, each line the row's label and the container's answer, see
``mlops_runtime.jobs.transform_output``), computes the metrics (``mlops_runtime.jobs.metrics``)
and writes ``/opt/ml/processing/evaluation/evaluation.json``. The pipeline declares
``PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")`` and
its ConditionStep tests ``JsonGet(..., json_path="gate.passed") == True``; the register step
attaches ``package_metadata(evaluation)`` as the package's CustomerMetadataProperties. First of
all it deletes the SageMaker model the run's CandidateModel step created for the transform
(``MLOPS_CANDIDATE_MODEL``, :mod:`mlops_runtime.aws.candidate`).

It also writes ``predictions.json`` beside it: the drift engine's profile of the candidate's
holdout predictions (column ``prediction``: numeric for regression, the class labels as text
for classification; plus ``score``, the positive-class probability, for a binary classifier
whose container returns probabilities). The Profile step copies it next to ``profile.json``
when the gate passes; the monitoring job compares served predictions with it (prediction
drift).
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

from mlops_runtime.aws import candidate
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
from mlops_runtime.jobs import metrics, model_health, transform_output
from mlops_runtime.jobs.processing import fail

__all__ = ["EvaluationError", "main", "package_metadata", "run"]

PREDICTIONS_DIR = "/opt/ml/processing/predictions"
HOLDOUT_DIR = "/opt/ml/processing/holdout"
OUTPUT_DIR = "/opt/ml/processing/evaluation"
REPORT_NAME = "evaluation.json"
PREDICTIONS_NAME = "predictions.json"
PASSED = "passed"
REJECTED = "rejected"

logger = get_logger(__name__)


class EvaluationError(RuntimeError):
    """The candidate could not be evaluated (bad predictions, holdout or configuration)."""


def run(
    config: EvaluateConfig,
    predictions_path: str | Path,
    holdout_path: str | Path,
    output_dir: str | Path,
    *,
    registry: ModelRegistry | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Score the candidate's predictions, apply the gate, write and return evaluation.json.

    ``registry`` finds the champion (default: SageMaker's, with the runtime's clients)."""
    try:
        read = transform_output.read(
            config.content_type, config.output, Path(holdout_path), Path(predictions_path)
        )
        scored = metrics.predictions(
            config.task, config.output, read.labels, read.values, config.positive_label
        )
        values = metrics.compute(config.task, scored)
        predictions = prediction_profile(config, scored)
    except ValueError as error:  # TransformOutputError and DriftInputError included
        raise EvaluationError(f"scoring the holdout failed: {error}") from error
    champion, champion_error = _champion(config, registry)
    result = gate.apply(config.gate, values, champion.metrics if champion else None, champion_error)
    evaluation = {
        "schema_version": 1,
        "model_id": config.model_id,
        "task": config.task,
        "evaluated_at": iso(now or utcnow()),
        "holdout": {
            "rows": len(scored.truth),
            "label": config.label,
            "features": list(config.features),
        },
        "metrics": values,
        "champion": champion.to_dict() if champion else None,
        "champion_error": champion_error,
        "gate": result.to_dict(),
        "verdict": PASSED if result.passed else REJECTED,
        "predictions": {
            "file": PREDICTIONS_NAME,
            "columns": predictions.kinds,
            "content_type": config.content_type,
            "output": config.output,
        },
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


def prediction_profile(config: EvaluateConfig, scored: metrics.Predictions) -> Profile:
    """The drift profile of the candidate's holdout predictions (see the module docstring)."""
    if config.task == "regression":
        frame = pd.DataFrame({model_health.PREDICTION: np.asarray(scored.predicted, "float64")})
        kinds = {model_health.PREDICTION: "numeric"}
    else:
        labels = pd.Series(scored.predicted, dtype="object")
        frame = pd.DataFrame({model_health.PREDICTION: labels})
        kinds = {model_health.PREDICTION: "categorical"}
        if scored.scores is not None:
            frame[model_health.SCORE] = np.asarray(scored.scores, dtype="float64")
            kinds[model_health.SCORE] = "numeric"
    try:
        return build_profile(frame, kinds, source=f"holdout predictions of {config.model_id}")
    except DriftInputError as error:
        raise ValueError(f"profiling the predictions failed: {error}") from error


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.evaluate")
    parser.add_argument(
        "--predictions", default=PREDICTIONS_DIR, help="the holdout transform's output"
    )
    parser.add_argument("--holdout", default=HOLDOUT_DIR, help="the prepared holdout")
    parser.add_argument("--output", default=OUTPUT_DIR, help="directory for evaluation.json")
    args = parser.parse_args(argv)
    try:
        config = EvaluateConfig.from_env()
        candidate.delete_from_env(lambda: client("sagemaker", config.max_attempts))
        run(config, args.predictions, args.holdout, args.output)
    except (ConfigError, EvaluationError) as error:
        return fail(f"evaluation failed: {error}", 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
