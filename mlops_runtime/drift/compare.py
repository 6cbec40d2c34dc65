"""``compare``: reference (profile or raw data) against current data (a frame or chunks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from .accumulate import DEFAULT_CLASSIFIER_ROWS, DriftAccumulator
from .columns import check_kinds, infer_features
from .errors import DriftInputError
from .methods import BONFERRONI, CLASSIFIER, KS, resolve_methods
from .profile import DEFAULT_BINS, DEFAULT_SKETCH_SIZE, Profile, profile_frame
from .report import DriftReport
from .sample import RowSample
from .stats import KOLMOGOROV


def compare(
    reference: Profile | pd.DataFrame,
    current: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    features: Sequence[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    correction: str = BONFERRONI,
    ks_pvalue: str = KOLMOGOROV,
    bins: int = DEFAULT_BINS,
    sketch_size: int = DEFAULT_SKETCH_SIZE,
    classifier_rows: int = DEFAULT_CLASSIFIER_ROWS,
    seed: int = 0,
    reference_source: str = "reference data",
    current_source: str = "current data",
    workers: int | None = None,
) -> DriftReport:
    """Test every feature of ``reference`` for drift in ``current``.

    ``reference`` is a Profile (bins and sketch only: KS runs on the sketch grid) or the raw
    reference frame (KS is then exact and equal to ``scipy.stats.ks_2samp(method="asymp")``;
    the frame's features are ``kinds`` or inferred from dtypes, and it is profiled with
    ``bins``/``sketch_size`` for the other tests). ``current`` is one frame or an iterable of
    chunks (e.g. ``read_frames(path)``). ``methods`` maps feature -> psi | ks | chi2 |
    classifier (default ks for numeric, chi2 for categorical); ``thresholds`` maps a feature or
    a method to its threshold (defaults: psi 0.2, ks 0.05, chi2 0.05, classifier 0.75);
    p-value methods share the family-wise alpha through ``correction`` (bonferroni or none).
    ``ks_pvalue`` is ``kolmogorov`` (asymptotic, fast) or ``scipy`` (bit-equal to
    ``ks_2samp(method="asymp")``, slow at large sizes).
    """
    frames: Iterable[pd.DataFrame] = [current] if isinstance(current, pd.DataFrame) else current
    if isinstance(reference, Profile):
        accumulator = DriftAccumulator(
            reference,
            methods=methods,
            thresholds=thresholds,
            features=features,
            correction=correction,
            ks_pvalue=ks_pvalue,
            classifier_rows=classifier_rows,
            seed=seed,
            source=current_source,
            workers=workers,
        )
    elif isinstance(reference, pd.DataFrame):
        accumulator = _from_frame(
            reference,
            methods=methods,
            thresholds=thresholds,
            features=features,
            kinds=kinds,
            correction=correction,
            ks_pvalue=ks_pvalue,
            bins=bins,
            sketch_size=sketch_size,
            classifier_rows=classifier_rows,
            seed=seed,
            reference_source=reference_source,
            current_source=current_source,
            workers=workers,
        )
    else:
        raise DriftInputError(
            f"reference must be a Profile or a pandas DataFrame, got {type(reference).__name__}"
        )
    for frame in frames:
        accumulator.update(frame)
    return accumulator.result()


def _from_frame(
    reference: pd.DataFrame,
    *,
    methods: Mapping[str, str] | None,
    thresholds: Mapping[str, float] | None,
    features: Sequence[str] | None,
    kinds: Mapping[str, str] | None,
    correction: str,
    ks_pvalue: str,
    bins: int,
    sketch_size: int,
    classifier_rows: int,
    seed: int,
    reference_source: str,
    current_source: str,
    workers: int | None,
) -> DriftAccumulator:
    """An accumulator holding a raw reference: sorted values for exact KS, a classifier sample."""
    declared = dict(kinds) if kinds else {}
    check_kinds(declared, source=reference_source)
    names = list(features) if features is not None else list(declared or reference.columns)
    inferred = infer_features(reference[[n for n in names if n in reference.columns]])
    feature_kinds = {str(n): declared.get(str(n)) or inferred.get(str(n), "numeric") for n in names}
    chosen = resolve_methods(feature_kinds, methods)
    exact = [name for name, method in chosen.items() if method == KS]
    profile, reference_sorted = profile_frame(
        reference,
        feature_kinds,
        bins=bins,
        sketch_size=sketch_size,
        keep_sorted=exact,
        source=reference_source,
        workers=workers,
    )
    classifier = [name for name, method in chosen.items() if method == CLASSIFIER]
    sample = None
    if classifier:
        rows = RowSample(classifier, classifier_rows, seed + 1)
        rows.update(reference)
        sample = rows.frame()
    return DriftAccumulator(
        profile,
        methods=chosen,
        thresholds=thresholds,
        correction=correction,
        ks_pvalue=ks_pvalue,
        reference_sorted=reference_sorted,
        reference_sample=sample,
        classifier_rows=classifier_rows,
        seed=seed,
        source=current_source,
        workers=workers,
        reference_kind="data",
    )
