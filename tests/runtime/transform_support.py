"""The gate's holdout scoring, played offline: the real PrepareHoldout job, then SageMaker's
batch transform (moto runs no job) with the pipeline's ``DataProcessing`` and a serving
container answering each request the way SageMaker containers do.

``serve`` stands for the candidate's container: a scikit-learn model answers ``predict``
(``label``), its positive-class probability (``probability``, as XGBoost ``binary:logistic``
does) or every class's probability (``probabilities``, as ``multi:softprob``); in CSV one
line per row, in JSON Lines the answer shape given by ``json_answer``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from mlops_runtime.contract.holdout import CSV, OUTPUT_KEY, HoldoutConfig, data_processing
from mlops_runtime.jobs import holdout

Answer = Callable[[pd.DataFrame], list[Any]]


def sklearn_container(model: Any, output: str) -> Answer:
    """What a container serving ``model`` returns per row for ``output``."""

    def answer(rows: pd.DataFrame) -> list[Any]:
        if output == "label":
            return list(model.predict(rows))
        probabilities = model.predict_proba(rows)
        if output == "probability":
            return [float(p) for p in probabilities[:, 1]]
        return [[float(p) for p in row] for row in probabilities]

    return answer


def score_holdout(
    answer: Answer,
    holdout_dir: Path,
    workdir: Path,
    *,
    label: str,
    features: dict[str, str],
    data_format: str = "parquet",
    content_type: str = CSV,
    json_answer: Callable[[Any], Any] = lambda value: value,
) -> tuple[Path, Path]:
    """(prepared holdout, transform output) directories, as the Evaluate step receives them."""
    config = HoldoutConfig(
        model_id="m",
        features=features,
        label=label,
        format=data_format,
        content_type=content_type,
    )
    prepared, predictions = workdir / "prepared", workdir / "predictions"
    holdout.run(config, holdout_dir, prepared)
    processing = data_processing(content_type, len(features))
    assert processing["JoinSource"] == "Input"  # the label travels beside each prediction
    for path in sorted(p for p in prepared.rglob("*") if p.is_file()):
        lines = path.read_text(encoding="utf-8").splitlines()
        if content_type == CSV:  # InputFilter $[1:]; output: label + the container's values
            rows = [next(csv.reader([line])) for line in lines]
            frame = pd.DataFrame([r[1:] for r in rows], columns=list(features))
            numeric = [name for name, kind in features.items() if kind == "numeric"]
            frame[numeric] = frame[numeric].astype(float)
            out = [_csv_line([r[0], *_values(a)]) for r, a in zip(rows, answer(frame), strict=True)]
        else:  # InputFilter $.features; output: {"label", "SageMakerOutput"}
            records = [json.loads(line) for line in lines]
            frame = pd.DataFrame([r["features"] for r in records], columns=list(features))
            out = [
                json.dumps({"label": r["label"], OUTPUT_KEY: json_answer(_plain(a))})
                for r, a in zip(records, answer(frame), strict=True)
            ]
        target = predictions / f"{path.relative_to(prepared).as_posix()}.out"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(out) + "\n", encoding="utf-8")  # AssembleWith Line
    return prepared, predictions


def _values(answer: Any) -> list[Any]:
    return list(answer) if isinstance(answer, list) else [answer]


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()
