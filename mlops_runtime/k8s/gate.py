"""The gate on the cluster: the AWS pipeline's PrepareHoldout, ScoreHoldout and Evaluate steps,
run by the training Job's register container with the same code.

1. **PrepareHoldout**: every object of the holdout data source is downloaded
   (``mlops_runtime.k8s.fetch``, the training inputs' code) and prepared by
   ``mlops_runtime.jobs.holdout`` (label first, the model's features in its order);
2. **ScoreHoldout**: the prepared lines go to the candidate's own model server (the Job's
   native sidecar, ``FinishGate.server_url``) through the local batch transform
   (``mlops_runtime.k8s.transform``) with the AWS transform's parameters: ``SplitType: Line``,
   ``MultiRecord`` up to ``max_payload_mb``, ``ContentType`` and ``Accept`` the spec's
   ``training.evaluation.content_type``, and ``contract.holdout.data_processing`` (the
   features sent, each answer joined to its row's label);
3. **Evaluate**: ``mlops_runtime.evaluate.run`` computes the metrics from the labels and the
   predictions and applies the gate against the champion, the latest Approved version of the
   object-store registry.

Everything is written under ``<work>/`` (the Job's ``/opt/ml`` volume):
``holdout-data/``, ``holdout/``, ``predictions/``, ``evaluation/evaluation.json`` and
``predictions.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_runtime import evaluate
from mlops_runtime.contract.controller import FinishGate
from mlops_runtime.contract.holdout import data_processing
from mlops_runtime.core.ports import ModelRegistry
from mlops_runtime.jobs import holdout
from mlops_runtime.k8s import fetch, transform

SERVER_READY_SECONDS = 120.0
"""How long to wait for ``/ping`` (the sidecar's startupProbe passed before this container
started, so this covers a server that restarted)."""


@dataclass(frozen=True)
class Evaluated:
    """The evaluation and where its files are."""

    evaluation: dict[str, Any]
    folder: Path
    """Holds ``evaluation.json`` and ``predictions.json``."""


def transform_spec(gate: FinishGate) -> transform.TransformSpec:
    """The AWS ScoreHoldout transform's parameters (``plan.training._scoring_steps``)."""
    content_type = gate.holdout.content_type
    return transform.TransformSpec.from_data_processing(
        data_processing(content_type, len(gate.holdout.features)),
        content_type=content_type,
        accept=content_type,
        batch_strategy="MultiRecord",
        max_payload_mb=gate.max_payload_mb,
    )


def prepare(gate: FinishGate, s3: Any, work: Path) -> Path:
    """PrepareHoldout: the holdout's objects downloaded and prepared; the prepared folder."""
    fetch.fetch({"channels": {"holdout": gate.holdout_uri}, "root": str(work / "download")}, s3)
    prepared = work / "holdout"
    holdout.run(gate.holdout, work / "download" / "input" / "data" / "holdout", prepared)
    return prepared


def score(gate: FinishGate, prepared: Path, work: Path) -> Path:
    """ScoreHoldout: every prepared file through the model server; the predictions folder."""
    predictions = work / "predictions"
    with transform.ModelClient(gate.server_url) as client:
        client.wait_ready(deadline_seconds=SERVER_READY_SECONDS)
        transform.transform_dir(client, transform_spec(gate), prepared, predictions)
    return predictions


def run(gate: FinishGate, s3: Any, registry: ModelRegistry, work: Path) -> Evaluated:
    """The three steps; the evaluation (``gate.passed`` says whether the candidate passed)."""
    prepared = prepare(gate, s3, work)
    predictions = score(gate, prepared, work)
    folder = work / "evaluation"
    evaluation = evaluate.run(gate.evaluation, predictions, prepared, folder, registry=registry)
    return Evaluated(evaluation, folder)
