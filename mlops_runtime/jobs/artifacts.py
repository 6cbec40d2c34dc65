"""Reading the candidate model artifact and the holdout set.

Artifact contract: ``model.tar.gz`` (what a SageMaker training job writes to
``/opt/ml/model``) holding, at its root, ``model.joblib`` (preferred), ``model.pkl`` or
``model.pickle``: a fitted scikit-learn estimator or Pipeline saved with ``joblib.dump``,
whose ``predict`` takes a DataFrame of the feature columns (and, for classification,
``predict_proba`` or ``decision_function`` for auc). Loading unpickles: only evaluate
artifacts your own training step produced.

Holdout: one file or a directory of ``.parquet``/``.pq``, ``.csv`` or ``.jsonl`` files with a
header (column names) including the label column.
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

MODEL_FILES = ("model.joblib", "model.pkl", "model.pickle")
TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".jsonl")


class ArtifactError(ValueError):
    """The model artifact or holdout set does not follow the contract."""


def load_model(path: str | Path) -> Any:
    """The estimator from ``model.tar.gz`` (a file, or a directory holding it or the model)."""
    path = Path(path)
    if path.is_dir():
        for name in MODEL_FILES:
            if (path / name).is_file():
                return joblib.load(path / name)
        archives = sorted(path.glob("*.tar.gz"))
        if not archives:
            raise ArtifactError(f"no model.tar.gz or {list(MODEL_FILES)} in {path}")
        path = archives[0]
    if not path.is_file():
        raise ArtifactError(f"model artifact {path} does not exist")
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(path, "r:gz") as archive:
        names = set(archive.getnames())
        member = next((name for name in MODEL_FILES if name in names), None)
        if member is None:
            raise ArtifactError(
                f"{path.name} holds none of {list(MODEL_FILES)} at its root: {sorted(names)[:10]}"
            )
        _extract(archive, member, scratch)
        return joblib.load(Path(scratch) / member)


def _extract(archive: tarfile.TarFile, member: str, target: str) -> None:
    if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12: refuse links and escapes
        archive.extract(member, target, filter="data")
        return
    info = archive.getmember(member)
    if not info.isfile():
        raise ArtifactError(f"{member} in the artifact is not a regular file")
    archive.extract(info, target)


def load_table(path: str | Path) -> pd.DataFrame:
    """A table from one file or every supported file of a directory (sorted by name)."""
    path = Path(path)
    files = (
        sorted(p for p in path.rglob("*") if p.suffix in TABLE_SUFFIXES and p.is_file())
        if path.is_dir()
        else [path]
    )
    if not files:
        raise ArtifactError(f"no {list(TABLE_SUFFIXES)} files under {path}")
    frames = [_read(file) for file in files]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _read(file: Path) -> pd.DataFrame:
    if not file.is_file():
        raise ArtifactError(f"holdout file {file} does not exist")
    if file.suffix in (".parquet", ".pq"):
        return pd.read_parquet(file)
    if file.suffix == ".csv":
        return pd.read_csv(file)
    if file.suffix == ".jsonl":
        return pd.read_json(file, lines=True)
    raise ArtifactError(f"unsupported holdout format {file.suffix!r}: use {list(TABLE_SUFFIXES)}")
