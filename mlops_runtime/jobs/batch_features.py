"""Batch transform input preparation: a data source's objects in, the model's features out.

Runs as the batch pipeline's ``PrepareFeatures`` Processing step (before ``Transform``) on the
SageMaker scikit-learn image: ``python -m mlops_runtime.jobs.batch_features`` with a
``BatchFeaturesConfig`` in the file ``MLOPS_RUNTIME_CONFIG_FILE`` names. It reads every object
of the data source, downloaded under ``/opt/ml/processing/input/data`` (recursively, in path
order; hidden, ``_``-prefixed and empty files skipped), as the configured format through the
drift engine's readers (the monitoring job reads them the same way), and writes, for each,
a file with **the same relative path** under ``/opt/ml/processing/features``: headerless CSV,
one line per row of the object, in the object's order, holding exactly the configured
features in the configured order (label, timestamp and other columns dropped). The transform
sends these lines to the model as ``text/csv`` split by line.

Same path, same lines: the transform names each output ``<relative path>.out`` and writes one
prediction line per input line, so the monitoring job (which reads the data source's objects
themselves, ``mlops_runtime.jobs.batch_data``) pairs each output with the object it was
computed from, and each prediction with that object's row, as before. A prepared file keeps
its object's name even where the name says another format (``part-0.parquet`` holds CSV).

An object without data rows (a header only) gets no file; a value of a categorical feature
holding a line break cannot be sent as a line and fails the job, as does a missing feature
column. Exit status: 0 when written; 2 for a bad configuration or data, with the message on
stderr and as the job's ExitMessage.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mlops_runtime.contract.batch import BatchFeaturesConfig
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.drift import DriftInputError, read_frames
from mlops_runtime.drift.io import data_format
from mlops_runtime.jobs.processing import fail

INPUT_DIR = "/opt/ml/processing/input/data"
OUTPUT_DIR = "/opt/ml/processing/features"
CHUNK_ROWS = 200_000
EXIT_INPUT = 2
SUFFIXES = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}

logger = get_logger(__name__)


class BatchFeaturesError(ValueError):
    """The data source cannot be prepared as configured."""


@dataclass(frozen=True)
class Prepared:
    """What one run wrote."""

    files: int
    rows: int
    skipped: tuple[str, ...]
    """Objects without data rows (relative paths)."""


def run(config: BatchFeaturesConfig, input_dir: str | Path, output_dir: str | Path) -> Prepared:
    """Write the features of every object under ``input_dir`` to ``output_dir``."""
    root, out = Path(input_dir), Path(output_dir)
    files, rows, skipped = 0, 0, []
    for path in objects(root):
        relative = path.relative_to(root)
        written = prepare_file(config, path, out / relative)
        if written == 0:
            skipped.append(relative.as_posix())
            continue
        files, rows = files + 1, rows + written
    if files == 0:
        raise BatchFeaturesError(
            f"no rows to score: the {config.format} objects under {root} "
            f"hold no data rows ({len(skipped)} without any)"
        )
    log(
        logger,
        "batch features: written",
        model=config.model_id,
        files=files,
        rows=rows,
        skipped=len(skipped),
    )
    return Prepared(files, rows, tuple(skipped))


def objects(root: Path) -> list[Path]:
    """Files under ``root``, recursively, in path order; hidden, ``_``-prefixed and empty ones
    skipped (as the monitoring job lists the data source)."""
    if not root.is_dir():
        raise BatchFeaturesError(f"input directory {root} does not exist")
    return [
        path
        for path in sorted(p for p in root.rglob("*") if p.is_file())
        if not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
        and path.stat().st_size > 0
    ]


def prepare_file(config: BatchFeaturesConfig, source: Path, target: Path) -> int:
    """Write ``source``'s features to ``target`` as headerless CSV; the number of rows (0: no
    data rows, nothing written)."""
    features = list(config.features)
    text = [name for name, kind in config.features.items() if kind == "categorical"]
    rows = 0
    with _readable(source, config.format) as path:
        try:
            for chunk in read_frames(
                path, chunk_rows=CHUNK_ROWS, columns=features, text_columns=text
            ):
                _refuse_line_breaks(chunk, text, source, rows)
                if rows == 0:
                    target.parent.mkdir(parents=True, exist_ok=True)
                mode = "w" if rows == 0 else "a"
                chunk[features].to_csv(  # plain text whatever the name says (.gz)
                    target, mode=mode, header=False, index=False, lineterminator="\n",
                    compression=None,
                )  # fmt: skip
                rows += len(chunk)
        except DriftInputError as error:
            if "has no data rows" in str(error):
                return 0
            raise BatchFeaturesError(str(error).replace(str(path), str(source))) from None
    return rows


@contextmanager
def _readable(source: Path, fmt: str) -> Iterator[Path]:
    """``source`` under a name that says ``fmt`` (a symlink when its own name does not), so the
    readers take every object as the data source's format."""
    try:
        named = data_format(source)
    except DriftInputError:
        named = None
    if named == fmt:
        yield source
        return
    with tempfile.TemporaryDirectory() as scratch:
        gz = ".gz" if source.name.endswith(".gz") and fmt != "parquet" else ""
        link = Path(scratch) / f"object{SUFFIXES[fmt]}{gz}"
        os.symlink(source.resolve(), link)
        yield link


def _refuse_line_breaks(
    chunk: pd.DataFrame, text: Sequence[str], source: Path, offset: int
) -> None:
    """A categorical value with a line break would split its row in two lines (SplitType Line)."""
    for name in text:
        values = chunk[name].astype("string")
        broken = values.str.contains(r"[\r\n]", regex=True, na=False)
        if broken.any():
            row = offset + int(broken.to_numpy().nonzero()[0][0]) + 1
            raise BatchFeaturesError(
                f"{source}: row {row}: feature {name!r} holds a line break, which a text/csv "
                "line cannot carry; remove line breaks from categorical values"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.jobs.batch_features")
    parser.add_argument("--input", default=INPUT_DIR, help="the data source's objects")
    parser.add_argument("--output", default=OUTPUT_DIR, help="where the prepared files go")
    args = parser.parse_args(argv)
    try:
        run(BatchFeaturesConfig.from_env(), args.input, args.output)
    except (ConfigError, BatchFeaturesError, DriftInputError) as error:
        return fail(f"batch feature preparation failed: {error}", EXIT_INPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
