"""Turn pandas columns into what the statistics use: float64 arrays and category keys."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .errors import DriftInputError

NUMERIC = "numeric"
CATEGORICAL = "categorical"
KINDS = (NUMERIC, CATEGORICAL)


def infer_kind(series: pd.Series) -> str:
    """``numeric`` for int/float columns, ``categorical`` for everything else (bool included)."""
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return CATEGORICAL
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        return NUMERIC
    return CATEGORICAL


def infer_features(frame: pd.DataFrame) -> dict[str, str]:
    """Feature kinds inferred from dtypes, in column order."""
    return {str(name): infer_kind(frame[name]) for name in frame.columns}


def check_kinds(features: Mapping[str, str], *, source: str) -> None:
    """Raise if a declared kind is not ``numeric`` or ``categorical``."""
    bad = [
        f"feature {name!r} in {source}: kind {kind!r} is not one of {', '.join(KINDS)}"
        for name, kind in features.items()
        if kind not in KINDS
    ]
    if bad:
        raise DriftInputError(bad)


def missing_columns(frame: pd.DataFrame, names: list[str], *, source: str) -> list[str]:
    """One problem line per feature that ``frame`` lacks."""
    present = [str(c) for c in frame.columns]
    shown = ", ".join(repr(c) for c in present[:20]) + (" ..." if len(present) > 20 else "")
    return [
        f"{source} has no column {name!r} (columns: {shown or 'none'}); "
        "add it, or leave the feature out of the comparison"
        for name in names
        if name not in frame.columns
    ]


def numeric_values(series: pd.Series, *, column: str, source: str) -> np.ndarray:
    """Values as float64 (NaN for missing); zero-copy for float64 columns.

    Raises DriftInputError naming an offending value when the column holds text or dates.
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        return np.asarray(series.to_numpy(), dtype=np.float64)
    if ptypes.is_numeric_dtype(dtype) or ptypes.is_bool_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        raise DriftInputError(
            f"column {column!r} in {source} is declared numeric but holds {dtype} values; "
            "convert it to a number (e.g. epoch seconds) or declare it categorical"
        )
    converted = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & converted.isna()
    if bad.any():
        example = series[bad].iloc[0]
        raise DriftInputError(
            f"column {column!r} in {source} is declared numeric but holds {example!r} "
            f"(dtype {dtype}); clean the values or declare it categorical ('{column}:categorical')"
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)


def category_key(value: object) -> str | None:
    """The text a category is compared by: ``1``, ``1.0`` and ``"1"`` are one category."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def category_counts(series: pd.Series) -> tuple[dict[str, int], int]:
    """Counts per category key and the number of missing values (hash-based, no per-row work)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)
    missing = int(counts[0])
    result: dict[str, int] = {}
    for value, count in zip(uniques, counts[1:].tolist(), strict=True):
        key = category_key(value)
        if key is None:
            missing += count
        elif count:
            result[key] = result.get(key, 0) + count
    return result, missing
