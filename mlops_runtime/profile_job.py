"""Reference profile job: the training data's drift profile, for the monitoring job to compare with.

Runs as a ProcessingStep of the training pipeline (after the gate passes) on the SageMaker
scikit-learn image: ``python -m mlops_runtime.profile_job`` with a ``ProfileConfig`` in
the file ``MLOPS_RUNTIME_CONFIG_FILE`` names. It reads every ``format`` file under
``/opt/ml/processing/input/data`` (recursively, in path order; ``.gz`` csv/jsonl included;
hidden and ``_``-prefixed files such as ``_SUCCESS`` skipped), only the configured feature
columns, and writes ``mlops_runtime.drift.build_profile(frame, features).to_json()`` to
``/opt/ml/processing/profile/profile.json`` - the document ``monitoring_job`` loads from
``profile_uri``.

With ``copy_predictions`` (pipelines with an evaluation step) it also copies the evaluation
step's ``predictions.json`` (the profile of the candidate's holdout predictions, ProcessingInput
``/opt/ml/processing/input/evaluation``) to ``/opt/ml/processing/profile/predictions.json``, so
the feature and prediction references are replaced together, only when the gate passes.

At most ``sample_rows`` rows are profiled (and held in memory): when the data has more, every
file is still read once, in chunks, and a uniform random sample of ``sample_rows`` rows is kept
(bottom-k on seeded random keys, so the same data always gives the same profile).

Exit status: 0 when written; 2 for a bad configuration or data (no matching file, a missing
feature column, a feature with no values, a missing or unreadable predictions.json), with the
message on stderr and as the job's ExitMessage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mlops_runtime.contract.config import ConfigError, ProfileConfig
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.drift import DriftInputError, Profile, build_profile, read_frames
from mlops_runtime.drift.io import data_format
from mlops_runtime.jobs.processing import fail

INPUT_DIR = "/opt/ml/processing/input/data"
EVALUATION_DIR = "/opt/ml/processing/input/evaluation"
OUTPUT_DIR = "/opt/ml/processing/profile"
PROFILE_FILE = "profile.json"
PREDICTIONS_FILE = "predictions.json"
SAMPLE_SEED = 20240601
CHUNK_ROWS = 200_000
EXIT_INPUT = 2

logger = get_logger(__name__)


class ProfileError(ValueError):
    """The training data cannot be profiled as configured."""


def run(
    config: ProfileConfig,
    input_dir: str | Path,
    output_dir: str | Path,
    evaluation_dir: str | Path = EVALUATION_DIR,
) -> Profile:
    """Profile the training data under ``input_dir``; write ``<output_dir>/profile.json`` (and
    copy ``<evaluation_dir>/predictions.json`` there with ``copy_predictions``)."""
    predictions = _predictions(evaluation_dir) if config.copy_predictions else None
    files = data_files(input_dir, config.format)
    features = dict(config.features)
    text = [name for name, kind in features.items() if kind == "categorical"]
    chunks = (
        chunk
        for file in files
        for chunk in read_frames(
            file, chunk_rows=CHUNK_ROWS, columns=list(features), text_columns=text
        )
    )
    frame, total = sample(chunks, config.sample_rows)
    if frame is None:
        raise ProfileError(f"the {config.format} files under {input_dir} hold no rows")
    source = f"training data of {config.model_id} ({len(frame):,} of {total:,} rows)"
    profile = build_profile(frame, features, source=source)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / PROFILE_FILE).write_text(profile.to_json(), encoding="utf-8")
    if predictions is not None:
        (output / PREDICTIONS_FILE).write_text(predictions, encoding="utf-8")
    log(
        logger,
        "profile: written",
        model=config.model_id,
        files=len(files),
        rows=total,
        profiled_rows=len(frame),
        features=list(features),
    )
    return profile


def _predictions(evaluation_dir: str | Path) -> str:
    """The evaluation step's predictions.json, checked to be a drift profile."""
    path = Path(evaluation_dir) / PREDICTIONS_FILE
    if not path.is_file():
        raise ProfileError(
            f"{path} does not exist: the evaluation step writes it next to evaluation.json"
        )
    text = path.read_text(encoding="utf-8")
    Profile.from_json(text, source=str(path))  # DriftInputError when damaged
    return text


def data_files(input_dir: str | Path, fmt: str) -> list[Path]:
    """Files of format ``fmt`` under ``input_dir``, recursively, in path order."""
    root = Path(input_dir)
    if not root.is_dir():
        raise ProfileError(f"input directory {root} does not exist")
    found: list[Path] = []
    other: list[Path] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
            continue  # _SUCCESS, .crc, _temporary/ and the like
        try:
            kind = data_format(path)
        except DriftInputError:
            kind = None
        (found if kind == fmt else other).append(path)
    if not found:
        shown = [str(p.relative_to(root)) for p in other[:5]]
        raise ProfileError(f"no {fmt} files under {root} (other files: {shown or 'none'})")
    return found


def sample(chunks: Iterable[pd.DataFrame], rows: int) -> tuple[pd.DataFrame | None, int]:
    """A uniform random sample of at most ``rows`` rows of all ``chunks`` (in their order) and
    the total row count. Bottom-k: each row gets a seeded uniform key and the ``rows`` smallest
    keys are kept, so memory stays at ``rows`` plus one chunk."""
    rng = np.random.default_rng(SAMPLE_SEED)
    kept: pd.DataFrame | None = None
    keys = np.empty(0)
    total = 0
    for chunk in chunks:
        if chunk.empty:
            continue
        total += len(chunk)
        chunk_keys = rng.random(len(chunk))
        if kept is None:
            kept, keys = chunk.reset_index(drop=True), chunk_keys
        else:
            kept = pd.concat([kept, chunk], ignore_index=True)
            keys = np.concatenate([keys, chunk_keys])
        if len(kept) > rows:
            keep = np.sort(np.argpartition(keys, rows - 1)[:rows])
            kept, keys = kept.iloc[keep].reset_index(drop=True), keys[keep]
    return kept, total


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.profile_job")
    parser.add_argument("--input", default=INPUT_DIR, help="training data directory")
    parser.add_argument("--output", default=OUTPUT_DIR, help="directory for profile.json")
    parser.add_argument(
        "--evaluation", default=EVALUATION_DIR, help="directory holding predictions.json"
    )
    args = parser.parse_args(argv)
    try:
        run(ProfileConfig.from_env(), args.input, args.output, args.evaluation)
    except (ConfigError, ProfileError, DriftInputError) as error:
        return fail(f"profiling failed: {error}", EXIT_INPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
