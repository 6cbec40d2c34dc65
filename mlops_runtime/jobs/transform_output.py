"""The holdout's batch transform output, read back beside the prepared holdout.

The transform (``mlops_runtime.contract.holdout.data_processing``) writes, for every prepared
file ``<relative path>``, ``<relative path>.out``: one line per holdout row, holding the row's
label and what the candidate's container returned for it:

- ``text/csv``: ``label,value1[,value2...]`` (the container's CSV answer appended to the label);
- ``application/jsonlines``: ``{"label": ..., "SageMakerOutput": <the container's JSON>}``.

:func:`read` pairs every output file with its prepared file and every line with its row: same
files, same number of lines, the same label on each line (a transform that lost, added or
reordered rows fails the evaluation instead of scoring wrong pairs). A JSON answer may be the
value itself, a one-item list, or an object holding it (see :data:`KEYS`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_runtime.contract.holdout import CSV, LABEL_KEY, OUTPUT_KEY
from mlops_runtime.jobs.model_health import as_label

SUFFIX = ".out"
KEYS = {
    "label": ("predicted_label", "label", "prediction", "score"),
    "probability": ("probability", "score", "prediction"),
    "probabilities": ("probabilities", "scores", "prediction"),
}
"""Per ``output``: the keys of a JSON answer object that hold the prediction, in order."""


class TransformOutputError(ValueError):
    """The transform output does not pair with the holdout, or holds no readable predictions."""


@dataclass(frozen=True)
class Scored:
    """The holdout's labels and, per row, the values the container returned (as read)."""

    labels: list[Any]
    values: list[list[Any]]


def read(content_type: str, output: str, holdout_dir: Path, predictions_dir: Path) -> Scored:
    """Every prepared row's label and the container's values for it (see the module doc)."""
    prepared = _files(holdout_dir, "")
    produced = _files(predictions_dir, SUFFIX)
    missing, extra = sorted(set(prepared) - set(produced)), sorted(set(produced) - set(prepared))
    if missing or extra:
        raise TransformOutputError(
            f"the transform output does not match the holdout: no output for {missing[:5]}, "
            f"output without a holdout file {extra[:5]}"
        )
    if not prepared:
        raise TransformOutputError(f"no prepared holdout files under {holdout_dir}")
    labels: list[Any] = []
    values: list[list[Any]] = []
    for name in sorted(prepared):
        expected = _labels(content_type, prepared[name])
        got = [_line(content_type, output, line, name) for line in _lines(produced[name])]
        _pair(name, expected, [label for label, _ in got])
        labels += [label for label, _ in got]
        values += [value for _, value in got]
    return Scored(labels, values)


def _files(root: Path, suffix: str) -> dict[str, Path]:
    """Files under ``root`` by relative path (without ``suffix``), hidden/``_`` ones skipped."""
    if not root.is_dir():
        raise TransformOutputError(f"directory {root} does not exist")
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith((".", "_")) for part in relative.split("/")):
            continue
        if suffix and not relative.endswith(suffix):
            raise TransformOutputError(f"unexpected file {relative} in the transform output")
        found[relative.removesuffix(suffix) if suffix else relative] = path
    return found


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _labels(content_type: str, path: Path) -> list[Any]:
    if content_type == CSV:
        return [next(csv.reader([line]))[0] for line in _lines(path)]
    return [json.loads(line)[LABEL_KEY] for line in _lines(path)]


def _pair(name: str, expected: list[Any], got: list[Any]) -> None:
    if len(expected) != len(got):
        raise TransformOutputError(
            f"{name}: the holdout has {len(expected)} rows, the transform returned {len(got)} "
            "lines (one prediction per row is expected)"
        )
    for row, (want, have) in enumerate(zip(expected, got, strict=True), start=1):
        if as_label(want) != as_label(have):
            raise TransformOutputError(
                f"{name}: line {row} carries label {have!r} where the holdout has {want!r}: "
                "the output is not in the holdout's row order"
            )


def _line(content_type: str, output: str, line: str, name: str) -> tuple[Any, list[Any]]:
    """(label, values) of one output line."""
    try:
        if content_type == CSV:
            label, *values = next(csv.reader(io.StringIO(line)))
            return label, values
        record = json.loads(line)
        return record[LABEL_KEY], answer_values(record[OUTPUT_KEY], output)
    except (json.JSONDecodeError, KeyError, TypeError, StopIteration) as error:
        raise TransformOutputError(
            f"{name}: cannot read output line {line[:200]!r} ({type(error).__name__}: {error})"
        ) from None


def answer_values(answer: Any, output: str) -> list[Any]:
    """The values of one JSON answer: an object's prediction key, a list, or a scalar."""
    if isinstance(answer, dict):
        key = next((k for k in KEYS[output] if k in answer), None)
        if key is None:
            raise TypeError(f"an answer object needs one of {list(KEYS[output])}")
        answer = answer[key]
    return list(answer) if isinstance(answer, list) else [answer]
