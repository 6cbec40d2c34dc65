"""The gate's holdout, prepared for the candidate's serving container.

Runs as the training pipeline's ``PrepareHoldout`` Processing step (before the holdout's batch
transform) on the SageMaker scikit-learn image: ``python -m mlops_runtime.jobs.holdout`` with
a ``HoldoutConfig`` in the file ``MLOPS_RUNTIME_CONFIG_FILE`` names. It reads every object of
the holdout data source, downloaded under ``/opt/ml/processing/input/data`` (recursively, in
path order; hidden, ``_``-prefixed and empty files skipped, as the batch features step does),
as the configured format (headerless csv with the configured ``columns``), and writes, for
each, a file with the same relative path under ``/opt/ml/processing/holdout``, one line per
labelled row in the object's order:

- ``text/csv``: headerless CSV ``label,feature1,...,featureN`` (the model's features in the
  model's order);
- ``application/jsonlines``: ``{"label": ..., "features": [feature1, ..., featureN]}``.

The transform's ``DataProcessing`` (``mlops_runtime.contract.holdout.data_processing``) sends
the features only and writes each prediction beside its row's label; the evaluation step
checks those labels against these files line by line. Rows without a label are left out
(counted in the log). Exit status: 0 when written; 2 for a bad configuration or data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.holdout import CSV, FEATURES_KEY, LABEL_KEY, HoldoutConfig
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.drift import DriftInputError, read_frames
from mlops_runtime.jobs.batch_features import _readable, _refuse_line_breaks, objects
from mlops_runtime.jobs.processing import fail

INPUT_DIR = "/opt/ml/processing/input/data"
OUTPUT_DIR = "/opt/ml/processing/holdout"
CHUNK_ROWS = 200_000
EXIT_INPUT = 2

logger = get_logger(__name__)


class HoldoutError(ValueError):
    """The holdout cannot be prepared as configured."""


def run(config: HoldoutConfig, input_dir: str | Path, output_dir: str | Path) -> int:
    """Prepare every object under ``input_dir``; the number of rows written."""
    root, out = Path(input_dir), Path(output_dir)
    if not root.is_dir():
        raise HoldoutError(f"input directory {root} does not exist")
    rows = unlabelled = files = 0
    for path in objects(root):
        written, dropped = prepare_file(config, path, out / path.relative_to(root))
        rows, unlabelled, files = rows + written, unlabelled + dropped, files + bool(written)
    if rows == 0:
        raise HoldoutError(
            f"no labelled rows to score: the {config.format} objects under {root} hold none "
            f"({unlabelled} rows without a label {config.label!r})"
        )
    log(logger, "holdout: prepared", model=config.model_id, files=files, rows=rows,
        unlabelled=unlabelled)  # fmt: skip
    return rows


def prepare_file(config: HoldoutConfig, source: Path, target: Path) -> tuple[int, int]:
    """Write ``source``'s labelled rows to ``target``: (rows written, rows without a label)."""
    written = dropped = 0
    text = [name for name, kind in config.features.items() if kind == "categorical"]
    for chunk in _chunks(config, source, [*text, config.label]):
        labelled = chunk[chunk[config.label].notna()]
        dropped += len(chunk) - len(labelled)
        if labelled.empty:
            continue
        if config.content_type == CSV:
            _refuse_line_breaks(labelled, [*text, config.label], source, written)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w" if written == 0 else "a", encoding="utf-8", newline="") as out:
            out.write(_lines(config, labelled))
        written += len(labelled)
    return written, dropped


def _chunks(config: HoldoutConfig, source: Path, text: list[str]) -> Iterator[pd.DataFrame]:
    """The label and the features of ``source``, in chunks (headerless csv: by position)."""
    wanted = [config.label, *config.features]
    try:
        if config.columns is not None:
            yield from pd.read_csv(
                source,
                header=None,
                names=list(config.columns),
                usecols=wanted,
                dtype=dict.fromkeys(text, str),
                chunksize=CHUNK_ROWS,
                compression="infer",
            )
            return
        with _readable(source, config.format) as path:
            yield from read_frames(path, chunk_rows=CHUNK_ROWS, columns=wanted, text_columns=text)
    except DriftInputError as error:
        if "has no data rows" in str(error):
            return
        raise HoldoutError(str(error)) from None
    except (ValueError, OSError) as error:
        raise HoldoutError(f"cannot read {source} as headerless csv: {error}") from None


def _lines(config: HoldoutConfig, frame: pd.DataFrame) -> str:
    features = list(config.features)
    if config.content_type == CSV:
        text: str = frame[[config.label, *features]].to_csv(
            header=False, index=False, lineterminator="\n"
        )
        return text
    return "".join(
        json.dumps({LABEL_KEY: _plain(row[0]), FEATURES_KEY: [_plain(v) for v in row[1:]]}) + "\n"
        for row in frame[[config.label, *features]].itertuples(index=False, name=None)
    )


def _plain(value: Any) -> Any:
    """A JSON value: numbers as numbers, text as text, missing as null."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.jobs.holdout")
    parser.add_argument("--input", default=INPUT_DIR, help="the holdout's objects")
    parser.add_argument("--output", default=OUTPUT_DIR, help="where the prepared files go")
    args = parser.parse_args(argv)
    try:
        run(HoldoutConfig.from_env(), args.input, args.output)
    except (ConfigError, HoldoutError, DriftInputError) as error:
        return fail(f"holdout preparation failed: {error}", EXIT_INPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
