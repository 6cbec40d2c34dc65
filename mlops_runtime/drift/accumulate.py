"""Streaming comparison: feed current data chunk by chunk, memory bounded by the profile."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from .binning import GridCounter
from .columns import CATEGORICAL, category_counts, missing_columns, numeric_values
from .errors import DriftInputError
from .methods import (
    BONFERRONI,
    CHI2,
    CLASSIFIER,
    KS,
    P_VALUE_METHODS,
    PSI,
    check_correction,
    resolve_methods,
    resolve_thresholds,
)
from .parallel import default_workers, thread_map
from .profile import CategoricalProfile, NumericProfile, Profile
from .report import DriftReport, FeatureResult, Histogram
from .sample import (
    OTHER,
    RowSample,
    category_codes,
    synthesize_categorical,
    synthesize_numeric,
)

DEFAULT_CLASSIFIER_ROWS = 10_000
MAX_UNSEEN_TRACKED = 1000


@dataclass(frozen=True)
class _Measured:
    name: str
    statistic: float
    p_value: float | None
    psi: float
    error_bound: float | None
    histogram: Histogram
    note: str | None = None


class _Numeric:
    """Counts of current values at the profile's grid points (sketch values and bin edges).

    With ``exact_reference`` (sorted raw reference values), keeps the current values instead,
    for an exact KS test at the end.
    """

    def __init__(self, profile: NumericProfile, exact_reference: np.ndarray | None) -> None:
        self.profile = profile
        self.exact_reference = exact_reference
        self.grid = np.union1d(profile.sketch_values, profile.edges)
        self.edge_at = np.searchsorted(self.grid, profile.edges)
        self.sketch_at = np.searchsorted(self.grid, profile.sketch_values)
        self.counter = GridCounter(self.grid)
        self.cdf = np.zeros(len(self.grid), dtype=np.int64)
        self.parts: list[np.ndarray] = []
        self._sorted: np.ndarray | None = None
        self.count = 0
        self.missing = 0

    def update(self, values: np.ndarray) -> None:
        finite = np.isfinite(values)
        if not finite.all():
            self.missing += int(len(values) - finite.sum())
            values = values[finite]
        self.count += len(values)
        if self.exact_reference is not None:
            self.parts.append(np.array(values, dtype=np.float64, copy=True))
            self._sorted = None
        else:
            self.cdf += self.counter.cumulative(values)

    def current_sorted(self) -> np.ndarray:
        """All kept current values, sorted (once)."""
        if self._sorted is None:
            # parts are private copies: concatenate (if several) and sort in place
            values = np.concatenate(self.parts) if len(self.parts) != 1 else self.parts[0]
            values.sort()
            self._sorted = values
            self.parts = [values]
        return self._sorted

    def bin_counts(self) -> np.ndarray:
        edges = self.profile.edges
        if self.exact_reference is not None:
            cdf_edges = np.searchsorted(self.current_sorted(), edges, side="right")
        else:
            cdf_edges = self.cdf[self.edge_at]
        return np.diff(np.concatenate(([0], cdf_edges, [self.count])))

    def ks(self, pvalue: str) -> tuple[float, float, float | None]:
        """(statistic, p-value, error bound or None when exact)."""
        if self.exact_reference is not None:
            current = self.current_sorted()
            statistic, p_value = stats.ks_sorted(
                self.exact_reference, current, pvalue, grid=self.profile.sketch_values
            )
            return statistic, p_value, None
        statistic, p_value = stats.ks_from_cdf(
            self.profile.sketch_cdf,
            self.cdf[self.sketch_at],
            self.profile.count,
            self.count,
            pvalue,
        )
        return statistic, p_value, self.profile.error_bound


class _Categorical:
    """Current counts per reference category, plus pooled ``other`` (unseen) and missing."""

    def __init__(self, profile: CategoricalProfile) -> None:
        self.profile = profile
        self.index = {key: i for i, key in enumerate(profile.categories)}
        self.counts = np.zeros(len(self.index), dtype=np.int64)
        self.other = 0
        self.missing = 0
        self.unseen: dict[str, int] = {}

    def update(self, series: pd.Series) -> None:
        counts, missing = category_counts(series)
        self.missing += missing
        for key, count in counts.items():
            at = self.index.get(key)
            if at is not None:
                self.counts[at] += count
                continue
            self.other += count
            if key in self.unseen or len(self.unseen) < MAX_UNSEEN_TRACKED:
                self.unseen[key] = self.unseen.get(key, 0) + count

    @property
    def count(self) -> int:
        return int(self.counts.sum()) + self.other


class DriftAccumulator:
    """Compare current data with a reference profile, one chunk at a time.

    ``update(chunk)`` folds a DataFrame chunk into per-feature counts over the profile's bins
    and sketch grid (KS, PSI, chi2) and into a bounded row sample (classifier); ``result()``
    runs the tests. Memory depends on the profile and ``classifier_rows``, not on the data size,
    except for features with an exact KS reference (``reference_sorted``), whose current values
    are kept until ``result()``.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        methods: Mapping[str, str] | None = None,
        thresholds: Mapping[str, float] | None = None,
        features: Sequence[str] | None = None,
        correction: str = BONFERRONI,
        ks_pvalue: str = stats.KOLMOGOROV,
        reference_sorted: Mapping[str, np.ndarray] | None = None,
        reference_sample: pd.DataFrame | None = None,
        classifier_rows: int = DEFAULT_CLASSIFIER_ROWS,
        seed: int = 0,
        source: str = "current data",
        workers: int | None = None,
        reference_kind: str = "profile",
    ) -> None:
        self.profile = profile
        self.reference_kind = reference_kind
        self.source = source
        self.correction = check_correction(correction)
        if ks_pvalue not in stats.KS_PVALUES:
            raise DriftInputError(
                f"ks_pvalue {ks_pvalue!r} is not one of {', '.join(stats.KS_PVALUES)}"
            )
        self.ks_pvalue = ks_pvalue
        kinds = profile.kinds
        if features is not None:
            unknown = [name for name in features if name not in kinds]
            if unknown:
                raise DriftInputError(
                    [
                        f"feature {name!r} is not in the reference (features: "
                        f"{', '.join(map(repr, kinds))}); profile it or leave it out"
                        for name in unknown
                    ]
                )
            kinds = {name: kinds[name] for name in features}
        if not kinds:
            raise DriftInputError("no features to compare; name at least one")
        self.kinds = kinds
        self.methods = resolve_methods(kinds, methods)
        self.thresholds = resolve_thresholds(self.methods, thresholds)
        self.seed = seed
        self.workers = default_workers() if workers is None else workers
        self.rows = 0
        reference_sorted = reference_sorted or {}
        self.states: dict[str, _Numeric | _Categorical] = {}
        for name in kinds:
            feature = profile.features[name]
            if isinstance(feature, NumericProfile):
                exact = reference_sorted.get(name) if self.methods[name] == KS else None
                self.states[name] = _Numeric(feature, exact)
            else:
                self.states[name] = _Categorical(feature)
        self.classifier_features = [n for n, m in self.methods.items() if m == CLASSIFIER]
        self.reference_sample = reference_sample
        self.sample = (
            RowSample(self.classifier_features, classifier_rows, seed)
            if self.classifier_features
            else None
        )

    def update(self, chunk: pd.DataFrame) -> DriftAccumulator:
        """Fold one chunk of current data in; raises DriftInputError on bad columns."""
        problems = missing_columns(chunk, list(self.kinds), source=self.source)
        if problems:
            raise DriftInputError(problems)
        if len(chunk) == 0:
            return self
        errors: list[str] = []

        def one(name: str) -> None:
            state = self.states[name]
            try:
                if isinstance(state, _Numeric):
                    state.update(numeric_values(chunk[name], column=name, source=self.source))
                else:
                    state.update(chunk[name])
            except DriftInputError as exc:
                errors.extend(exc.problems)

        thread_map(one, list(self.states), self.workers)
        if errors:
            raise DriftInputError(errors)
        if self.sample is not None:
            self.sample.update(chunk)
        self.rows += len(chunk)
        return self

    def result(self) -> DriftReport:
        """Run the tests on everything seen so far."""
        if self.rows == 0:
            raise DriftInputError(f"{self.source} has no rows; nothing to compare")
        raw = thread_map(self._measure, list(self.states), self.workers)
        tests = sum(1 for name in self.states if self.methods[name] in P_VALUE_METHODS)
        features = {m.name: self._verdict(m, tests) for m in raw}
        return DriftReport(
            features=features,
            rows_reference=self.profile.rows,
            rows_current=self.rows,
            correction=self.correction,
            ks_pvalue=self.ks_pvalue,
            reference_kind=self.reference_kind,
            source=self.source,
        )

    # -- internals -------------------------------------------------------------------------

    def _measure(self, name: str) -> _Measured:
        """Statistic, p-value, PSI and histogram of one feature."""
        state = self.states[name]
        method = self.methods[name]
        if isinstance(state, _Numeric):
            profile = state.profile
            current_bins = state.bin_counts()
            ref = np.append(profile.counts, profile.missing)
            cur = np.append(current_bins, state.missing)
            histogram = _numeric_histogram(profile, current_bins, state.missing)
        else:
            cprofile = state.profile
            ref = np.array([*cprofile.categories.values(), cprofile.other, cprofile.missing])
            cur = np.append(state.counts, [state.other, state.missing])
            histogram = Histogram(
                labels=[*cprofile.categories, OTHER, "(missing)"],
                reference=[int(v) for v in ref],
                current=[int(v) for v in cur],
            )
        psi_value = stats.psi(ref, cur)
        if state.count == 0:
            note = f"no non-missing values in {self.source}"
            statistic = psi_value if method == PSI else math.nan
            return _Measured(name, statistic, None, psi_value, None, histogram, note)
        p_value: float | None = None
        bound: float | None = None
        if method == PSI:
            statistic = psi_value
        elif method == KS:
            assert isinstance(state, _Numeric)
            statistic, p_value, bound = state.ks(self.ks_pvalue)
        elif method == CHI2:
            statistic, p_value, _ = stats.chi2_homogeneity(ref, cur)
        else:
            statistic = self._classifier(name)
        return _Measured(name, statistic, p_value, psi_value, bound, histogram)

    def _classifier(self, name: str) -> float:
        assert self.sample is not None
        current = self.sample.frame()[name].to_numpy()
        size = max(len(current), 50)
        rng = np.random.default_rng(self.seed)
        categorical = self.kinds[name] == CATEGORICAL
        if self.reference_sample is not None:
            reference = self.reference_sample[name].to_numpy()
        elif categorical:
            cprofile = self.profile.features[name]
            assert isinstance(cprofile, CategoricalProfile)
            reference = synthesize_categorical(cprofile, size, rng)
        else:
            nprofile = self.profile.features[name]
            assert isinstance(nprofile, NumericProfile)
            reference = synthesize_numeric(nprofile, size, rng)
        if categorical:
            ref_x, cur_x = category_codes(reference, current)
        else:
            ref_x = np.asarray(pd.to_numeric(pd.Series(reference), errors="coerce"), float)
            cur_x = numeric_values(pd.Series(current), column=name, source=self.source)
            ref_x = np.where(np.isfinite(ref_x), ref_x, np.nan)
            cur_x = np.where(np.isfinite(cur_x), cur_x, np.nan)
        return stats.classifier_auc(ref_x, cur_x, categorical=categorical, seed=self.seed)

    def _verdict(self, measured: _Measured, tests: int) -> FeatureResult:
        name, statistic, p_value = measured.name, measured.statistic, measured.p_value
        method = self.methods[name]
        configured = self.thresholds[name]
        state = self.states[name]
        if method in P_VALUE_METHODS:
            threshold = (
                stats.bonferroni(configured, tests) if self.correction == BONFERRONI else configured
            )
            drifted = p_value is None or p_value < threshold
        else:
            threshold = configured
            drifted = math.isnan(statistic) or statistic > threshold
        feature = self.profile.features[name]
        return FeatureResult(
            name=name,
            kind=self.kinds[name],
            method=method,
            statistic=statistic,
            p_value=p_value,
            threshold=threshold,
            configured_threshold=configured,
            drifted=bool(drifted),
            psi=measured.psi,
            rows_reference=feature.count,
            rows_current=state.count,
            missing_reference=feature.missing,
            missing_current=state.missing,
            histogram=measured.histogram,
            error_bound=measured.error_bound,
            unseen=_top(state.unseen) if isinstance(state, _Categorical) else {},
            note=measured.note,
        )


def _numeric_histogram(profile: NumericProfile, current: np.ndarray, missing: int) -> Histogram:
    edges = profile.edges.tolist()
    labels = [f"<= {edges[0]:.4g}"]
    labels += [f"({lo:.4g}, {hi:.4g}]" for lo, hi in itertools.pairwise(edges)]
    labels += [f"> {edges[-1]:.4g}", "(missing)"]
    return Histogram(
        labels=labels,
        reference=[*map(int, profile.counts), profile.missing],
        current=[*map(int, current), int(missing)],
        edges=edges,
    )


def _top(counts: Mapping[str, int], limit: int = 10) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit])
