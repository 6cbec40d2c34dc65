"""Which test runs on which feature, and the threshold each verdict uses (defaults, overrides)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping

from .columns import CATEGORICAL, NUMERIC
from .errors import DriftInputError

PSI = "psi"
KS = "ks"
CHI2 = "chi2"
CLASSIFIER = "classifier"
METHODS = (PSI, KS, CHI2, CLASSIFIER)
ALIASES = {"csi": PSI}
"""CSI (characteristic stability index) is PSI applied to a model input: the same formula."""
P_VALUE_METHODS = frozenset({KS, CHI2})
ALLOWED = {NUMERIC: (KS, PSI, CLASSIFIER), CATEGORICAL: (CHI2, PSI, CLASSIFIER)}
DEFAULT_METHODS = {NUMERIC: KS, CATEGORICAL: CHI2}
DEFAULT_THRESHOLDS = {PSI: 0.2, KS: 0.05, CHI2: 0.05, CLASSIFIER: 0.75}
"""PSI drifts above 0.2; KS and chi2 below alpha 0.05 (family-wise); classifier above AUC 0.75."""
BONFERRONI = "bonferroni"
NO_CORRECTION = "none"
CORRECTIONS = (BONFERRONI, NO_CORRECTION)


def canonical_method(name: str) -> str | None:
    """The method a user-given name means (case-insensitive, ``csi`` -> ``psi``), else None."""
    lowered = name.strip().lower()
    lowered = ALIASES.get(lowered, lowered)
    return lowered if lowered in METHODS else None


def resolve_methods(kinds: Mapping[str, str], methods: Mapping[str, str] | None) -> dict[str, str]:
    """Method per feature: the default for its kind unless ``methods`` names one."""
    chosen = {name: DEFAULT_METHODS[kind] for name, kind in kinds.items()}
    problems: list[str] = []
    for feature, given in (methods or {}).items():
        method = canonical_method(given)
        if feature not in kinds:
            problems.append(f"method given for unknown feature {feature!r}{_hint(feature, kinds)}")
        elif method is None:
            problems.append(
                f"feature {feature!r}: method {given!r} is not one of {', '.join(METHODS)}"
                f"{_hint(given, METHODS)}"
            )
        elif method not in ALLOWED[kinds[feature]]:
            allowed = ", ".join(ALLOWED[kinds[feature]])
            problems.append(
                f"feature {feature!r} is {kinds[feature]}: method {method!r} does not apply "
                f"(use one of {allowed})"
            )
        else:
            chosen[feature] = method
    if problems:
        raise DriftInputError(problems)
    return chosen


def resolve_thresholds(
    methods: Mapping[str, str], thresholds: Mapping[str, float] | None
) -> dict[str, float]:
    """Threshold per feature. A key may name a feature (wins) or a method (all its features)."""
    by_method = dict(DEFAULT_THRESHOLDS)
    by_feature: dict[str, float] = {}
    problems: list[str] = []
    for key, raw in (thresholds or {}).items():
        try:
            value = float(raw)
        except (TypeError, ValueError):
            problems.append(f"threshold {key!r}: {raw!r} is not a number")
            continue
        if key in methods:
            target = methods[key]
            by_feature[key] = value
        elif canonical_method(key) is not None:
            target = canonical_method(key) or key
            by_method[target] = value
        else:
            problems.append(
                f"threshold key {key!r} is neither a feature nor a method"
                f"{_hint(key, [*methods, *METHODS])}"
            )
            continue
        problem = _check_threshold(key, target, value)
        if problem:
            problems.append(problem)
    if problems:
        raise DriftInputError(problems)
    return {name: by_feature.get(name, by_method[method]) for name, method in methods.items()}


def check_correction(correction: str) -> str:
    if correction not in CORRECTIONS:
        raise DriftInputError(f"correction {correction!r} is not one of {', '.join(CORRECTIONS)}")
    return correction


def _check_threshold(key: str, method: str, value: float) -> str | None:
    if not math.isfinite(value):
        return f"threshold {key!r}: {value} is not finite"
    if method in P_VALUE_METHODS and not 0 < value <= 1:
        return f"threshold {key!r}: alpha for {method} must be in (0, 1], got {value}"
    if method == CLASSIFIER and not 0.5 <= value <= 1:
        return f"threshold {key!r}: AUC threshold must be in [0.5, 1], got {value}"
    if method == PSI and value < 0:
        return f"threshold {key!r}: PSI threshold must be >= 0, got {value}"
    return None


def _hint(word: str, choices: object) -> str:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1)  # type: ignore[attr-defined]
    return f" (did you mean {close[0]!r}?)" if close else ""
