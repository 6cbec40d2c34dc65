"""The reference profile: what monitoring keeps of the training data, as a small JSON file."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .columns import (
    CATEGORICAL,
    NUMERIC,
    category_counts,
    check_kinds,
    missing_columns,
    numeric_values,
)
from .errors import DriftInputError
from .parallel import default_workers, thread_map

FORMAT = "mlops-spec/drift-profile"
FORMAT_VERSION = 1
DEFAULT_BINS = 10
DEFAULT_SKETCH_SIZE = 2048
DEFAULT_MAX_CATEGORIES = 1000


@dataclass(frozen=True, eq=False)
class NumericProfile:
    """A numeric feature: PSI bins on reference quantiles and a quantile sketch for KS.

    ``edges`` are the inner bin edges (bins are ``(-inf, e1], (e1, e2], ..., (ek, inf)``) and
    ``counts`` the reference count per bin. ``sketch_values`` are reference values at quantile
    levels ``j / sketch_size`` (minimum and maximum included) with ``sketch_cdf`` the exact
    reference count ``<=`` each; ``error_bound`` is the largest reference fraction strictly
    between two sketch values, which bounds how far a KS statistic computed on the sketch can
    fall below the exact one.
    """

    kind: ClassVar[str] = NUMERIC
    dtype: str
    count: int
    missing: int
    edges: np.ndarray
    counts: np.ndarray
    sketch_values: np.ndarray
    sketch_cdf: np.ndarray
    error_bound: float
    minimum: float
    maximum: float
    mean: float
    std: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dtype": self.dtype,
            "count": self.count,
            "missing": self.missing,
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
            "std": self.std,
            "edges": self.edges.tolist(),
            "counts": self.counts.tolist(),
            "sketch": {
                "values": self.sketch_values.tolist(),
                "cdf": self.sketch_cdf.tolist(),
                "error_bound": self.error_bound,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericProfile:
        sketch = data["sketch"]
        return cls(
            dtype=str(data["dtype"]),
            count=int(data["count"]),
            missing=int(data["missing"]),
            edges=np.asarray(data["edges"], dtype=np.float64),
            counts=np.asarray(data["counts"], dtype=np.int64),
            sketch_values=np.asarray(sketch["values"], dtype=np.float64),
            sketch_cdf=np.asarray(sketch["cdf"], dtype=np.int64),
            error_bound=float(sketch["error_bound"]),
            minimum=float(data["min"]),
            maximum=float(data["max"]),
            mean=float(data["mean"]),
            std=float(data["std"]),
        )


@dataclass(frozen=True, eq=False)
class CategoricalProfile:
    """A categorical feature: count per category (most frequent first) and a pooled ``other``."""

    kind: ClassVar[str] = CATEGORICAL
    dtype: str
    count: int
    missing: int
    categories: dict[str, int]
    other: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dtype": self.dtype,
            "count": self.count,
            "missing": self.missing,
            "categories": dict(self.categories),
            "other": self.other,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoricalProfile:
        return cls(
            dtype=str(data["dtype"]),
            count=int(data["count"]),
            missing=int(data["missing"]),
            categories={str(k): int(v) for k, v in data["categories"].items()},
            other=int(data.get("other", 0)),
        )


FeatureProfile = NumericProfile | CategoricalProfile


@dataclass(frozen=True, eq=False)
class Profile:
    """Reference statistics per feature, computed once from training data."""

    rows: int
    features: dict[str, FeatureProfile]
    bins: int = DEFAULT_BINS
    sketch_size: int = DEFAULT_SKETCH_SIZE
    format_version: int = FORMAT_VERSION
    source: str = field(default="", compare=False)

    @property
    def kinds(self) -> dict[str, str]:
        """Feature name -> ``numeric`` | ``categorical``."""
        return {name: feature.kind for name, feature in self.features.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "rows": self.rows,
            "bins": self.bins,
            "sketch_size": self.sketch_size,
            "features": {name: feature.to_dict() for name, feature in self.features.items()},
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str, *, source: str = "profile") -> Profile:
        """Parse a profile; DriftInputError (naming ``source``) when it is not one we can read."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DriftInputError(
                f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}); "
                "write it with `mlops drift profile DATA -o PROFILE.json`"
            ) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "profile") -> Profile:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DriftInputError(
                f'{source} is not a drift profile (no "format": "{FORMAT}"); '
                "write one with `mlops drift profile DATA -o PROFILE.json`"
            )
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise DriftInputError(
                f"{source} has format_version {version!r}; this version reads {FORMAT_VERSION}: "
                "rebuild the profile with this version of mlops-spec"
            )
        try:
            features: dict[str, FeatureProfile] = {}
            for name, feature in data["features"].items():
                kind = feature.get("kind")
                if kind == NUMERIC:
                    features[name] = NumericProfile.from_dict(feature)
                elif kind == CATEGORICAL:
                    features[name] = CategoricalProfile.from_dict(feature)
                else:
                    raise DriftInputError(
                        f"{source}: feature {name!r} has kind {kind!r}; expected numeric or "
                        "categorical"
                    )
            return cls(
                rows=int(data["rows"]),
                features=features,
                bins=int(data["bins"]),
                sketch_size=int(data["sketch_size"]),
                format_version=version,
                source=source,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, DriftInputError):
                raise
            raise DriftInputError(
                f"{source} is a damaged drift profile ({type(exc).__name__}: {exc}); "
                "rebuild it with `mlops drift profile DATA -o PROFILE.json`"
            ) from None


def quantiles_of_sorted(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Linear-interpolation quantiles (numpy's default method) of an already sorted array."""
    position = levels * (len(values) - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def numeric_profile(
    sorted_values: np.ndarray, *, dtype: str, missing: int, bins: int, sketch_size: int
) -> NumericProfile:
    """Profile of a sorted array of finite values (at least one)."""
    n = len(sorted_values)
    edges = np.unique(quantiles_of_sorted(sorted_values, np.arange(1, bins) / bins))
    cdf_edges = np.searchsorted(sorted_values, edges, side="right")
    counts = np.diff(np.concatenate(([0], cdf_edges, [n])))
    level_index = np.ceil(np.arange(sketch_size + 1) * n / sketch_size).astype(np.int64) - 1
    sketch = np.unique(sorted_values[np.clip(level_index, 0, n - 1)])
    cdf = np.searchsorted(sorted_values, sketch, side="right")
    below = np.searchsorted(sorted_values, sketch, side="left")
    gap = int((below[1:] - cdf[:-1]).max()) if len(sketch) > 1 else 0
    return NumericProfile(
        dtype=dtype,
        count=n,
        missing=missing,
        edges=edges,
        counts=counts.astype(np.int64),
        sketch_values=sketch,
        sketch_cdf=cdf.astype(np.int64),
        error_bound=gap / n,
        minimum=float(sorted_values[0]),
        maximum=float(sorted_values[-1]),
        mean=float(np.mean(sorted_values)),
        std=float(np.std(sorted_values)),
    )


def categorical_profile(series: pd.Series, *, max_categories: int) -> CategoricalProfile:
    counts, missing = category_counts(series)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    kept = dict(ranked[:max_categories])
    return CategoricalProfile(
        dtype=str(series.dtype),
        count=sum(counts.values()),
        missing=missing,
        categories=kept,
        other=sum(count for _, count in ranked[max_categories:]),
    )


def finite_sorted(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Sorted finite values and how many were missing (NaN or infinite)."""
    finite = np.isfinite(values)
    if finite.all():
        return np.sort(values), 0
    return np.sort(values[finite]), int(len(values) - finite.sum())


def profile_frame(
    frame: pd.DataFrame,
    features: Mapping[str, str],
    *,
    bins: int = DEFAULT_BINS,
    sketch_size: int = DEFAULT_SKETCH_SIZE,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    keep_sorted: Collection[str] = (),
    source: str = "reference data",
    workers: int | None = None,
) -> tuple[Profile, dict[str, np.ndarray]]:
    """``build_profile`` that also returns the sorted finite values of ``keep_sorted`` columns."""
    if bins < 2 or sketch_size < 2 or max_categories < 1:
        raise DriftInputError(
            f"bins ({bins}) and sketch_size ({sketch_size}) must be at least 2 and "
            f"max_categories ({max_categories}) at least 1"
        )
    features = {str(name): kind for name, kind in features.items()}
    if not features:
        raise DriftInputError(f"no features to profile in {source}; name at least one")
    check_kinds(features, source=source)
    problems = missing_columns(frame, list(features), source=source)
    if problems:
        raise DriftInputError(problems)
    if len(frame) == 0:
        raise DriftInputError(f"{source} has no rows; profile a non-empty data set")

    def one(name: str) -> tuple[FeatureProfile, np.ndarray | None]:
        series = frame[name]
        if features[name] == CATEGORICAL:
            profile = categorical_profile(series, max_categories=max_categories)
            if profile.count == 0:
                raise DriftInputError(_all_missing(name, source))
            return profile, None
        values = numeric_values(series, column=name, source=source)
        ordered, missing = finite_sorted(values)
        if len(ordered) == 0:
            raise DriftInputError(_all_missing(name, source))
        numeric = numeric_profile(
            ordered, dtype=str(series.dtype), missing=missing, bins=bins, sketch_size=sketch_size
        )
        return numeric, (ordered if name in keep_sorted else None)

    names = list(features)
    results = _collect(one, names, workers)
    profile = Profile(
        rows=len(frame),
        features={name: result[0] for name, result in zip(names, results, strict=True)},
        bins=bins,
        sketch_size=sketch_size,
        source=source,
    )
    kept = {name: r[1] for name, r in zip(names, results, strict=True) if r[1] is not None}
    return profile, kept


def build_profile(
    frame: pd.DataFrame,
    features: Mapping[str, str],
    *,
    bins: int = DEFAULT_BINS,
    sketch_size: int = DEFAULT_SKETCH_SIZE,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    source: str = "reference data",
    workers: int | None = None,
) -> Profile:
    """Profile ``frame`` once (e.g. the training set); ``features`` maps name -> kind.

    Numeric features get ``bins`` quantile bins and a ``sketch_size`` quantile sketch;
    categorical ones keep their ``max_categories`` most frequent categories. Missing values
    (NaN, None, and infinities for numeric features) are counted, not profiled.
    """
    profile, _ = profile_frame(
        frame,
        features,
        bins=bins,
        sketch_size=sketch_size,
        max_categories=max_categories,
        source=source,
        workers=workers,
    )
    return profile


def _collect(fn: Any, names: list[str], workers: int | None) -> list[Any]:
    """Run ``fn`` per column, gathering every DriftInputError into one."""
    problems: list[str] = []

    def guarded(name: str) -> Any:
        try:
            return fn(name)
        except DriftInputError as exc:
            problems.extend(exc.problems)
            return None

    results = thread_map(guarded, names, default_workers() if workers is None else workers)
    if problems:
        raise DriftInputError(problems)
    return results


def _all_missing(name: str, source: str) -> str:
    return (
        f"column {name!r} in {source} has no non-missing values; fill it or leave the feature out"
    )
