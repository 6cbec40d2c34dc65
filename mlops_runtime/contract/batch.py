"""Configuration of the batch transform's feature preparation step
(``python -m mlops_runtime.jobs.batch_features``), written by the planner and read by the job
like every Processing job's: a JSON file named by ``MLOPS_RUNTIME_CONFIG_FILE``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlops_runtime.contract.config import RuntimeConfig, _field, check_model_input, compact_json


@dataclass(frozen=True, kw_only=True)
class BatchFeaturesConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.jobs.batch_features``."""

    model_id: str = _field("Model id (logs).")
    features: Mapping[str, str] = _field(
        "Feature name -> 'numeric' or 'categorical', in the model's input order: each prepared "
        "line holds exactly these values, in this order."
    )
    format: str = _field(
        "Format of the data source's objects: 'parquet', 'csv' (with a header) or 'jsonl'; "
        "every object under the input is read as this format (csv and jsonl may be gzipped, "
        "ending in .gz)."
    )

    def __post_init__(self) -> None:
        check_model_input(self.model_id, self.features, self.format)

    def to_json(self) -> str:
        """Compact JSON keeping ``features`` in order (the column order of every line)."""
        return compact_json(self.to_dict())
