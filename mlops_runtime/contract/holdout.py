"""How the gate's holdout is prepared for, and scored by, the candidate's serving container.

``HoldoutConfig`` configures ``python -m mlops_runtime.jobs.holdout`` (the training pipeline's
``PrepareHoldout`` step), written by the planner like every Processing job's configuration. The
prepared lines carry the label first and the features after it, so the transform's
``DataProcessing`` sends the features only (``InputFilter``) and writes each prediction beside
its row's label (``JoinSource: Input`` and ``OutputFilter``): :func:`data_processing` is that
one fact, used by the planner and read back by the evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlops_runtime.contract.config import (
    RuntimeConfig,
    _field,
    _require,
    check_model_input,
    compact_json,
)

CSV = "text/csv"
JSONL = "application/jsonlines"
CONTENT_TYPES = (CSV, JSONL)
OUTPUTS = ("label", "probability", "probabilities")
LABEL_KEY = "label"
FEATURES_KEY = "features"
OUTPUT_KEY = "SageMakerOutput"
"""Where a JSON Lines transform joins the container's answer into the input object (AWS)."""
CANDIDATE_MODEL_ENV = "MLOPS_CANDIDATE_MODEL"
"""The Evaluate step's environment variable naming the SageMaker model the run's CandidateModel
step created (AWS), which the step deletes once the transform has run."""


def data_processing(content_type: str, feature_count: int) -> dict[str, str]:
    """The transform's ``DataProcessing`` for prepared lines of ``feature_count`` features:
    the container gets the features; the output keeps the label and the container's answer.

    CSV: SageMaker appends the answer's values to the input row, so ``$[0,n+1:]`` is the label
    and every value the container returned. JSON Lines: the answer is added to the input object
    as ``SageMakerOutput``."""
    if content_type == CSV:
        return {
            "InputFilter": "$[1:]",
            "JoinSource": "Input",
            "OutputFilter": f"$[0,{feature_count + 1}:]",
        }
    return {
        "InputFilter": f"$.{FEATURES_KEY}",
        "JoinSource": "Input",
        "OutputFilter": f"$['{LABEL_KEY}','{OUTPUT_KEY}']",
    }


@dataclass(frozen=True, kw_only=True)
class HoldoutConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.jobs.holdout``."""

    model_id: str = _field("Model id (logs).")
    features: Mapping[str, str] = _field(
        "Feature name -> 'numeric' or 'categorical', in the model's input order: each prepared "
        "line holds the label, then exactly these values in this order."
    )
    label: str = _field("The holdout's label column.")
    format: str = _field("Format of the holdout's objects: 'parquet', 'csv' or 'jsonl'.")
    columns: tuple[str, ...] | None = _field(
        "Headerless csv: the objects' column names in file order; null: a header row names them.",
        None,
    )
    content_type: str = _field(
        "What the prepared lines are: 'text/csv' (label,features...) or "
        '\'application/jsonlines\' ({"label": ..., "features": [...]}).',
        CSV,
    )

    def __post_init__(self) -> None:
        check_model_input(self.model_id, self.features, self.format)
        _require(bool(self.label), "label must not be empty")
        _require(self.label not in self.features, "features must not include the label")
        _require(
            self.content_type in CONTENT_TYPES,
            f"content_type must be one of {list(CONTENT_TYPES)}, got {self.content_type!r}",
        )
        if self.columns is not None:
            _require(self.format == "csv", "columns are for headerless csv only")
            missing = [c for c in (*self.features, self.label) if c not in self.columns]
            _require(not missing, f"columns lack {missing}")

    def to_json(self) -> str:
        """Compact JSON keeping ``features`` in order (the column order of every line)."""
        return compact_json(self.to_dict())
