"""Drift engine: reference profiles, per-feature drift tests, streaming comparison, reports.

Pure Python on numpy, scipy, pandas, pyarrow and scikit-learn; no pulumi, no pydantic.
Conventions (bins, epsilon, p-values, correction) are documented in docs/drift.md.
"""

from .accumulate import DriftAccumulator
from .columns import CATEGORICAL, KINDS, NUMERIC, infer_features
from .compare import compare
from .errors import DriftInputError
from .io import read_frames, read_profile, read_table
from .methods import DEFAULT_METHODS, DEFAULT_THRESHOLDS, METHODS
from .profile import (
    FORMAT_VERSION,
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    Profile,
    build_profile,
)
from .report import DriftReport, FeatureResult, Histogram
from .report_html import render_html

__all__ = [
    "CATEGORICAL",
    "DEFAULT_METHODS",
    "DEFAULT_THRESHOLDS",
    "FORMAT_VERSION",
    "KINDS",
    "METHODS",
    "NUMERIC",
    "CategoricalProfile",
    "DriftAccumulator",
    "DriftInputError",
    "DriftReport",
    "FeatureProfile",
    "FeatureResult",
    "Histogram",
    "NumericProfile",
    "Profile",
    "build_profile",
    "compare",
    "infer_features",
    "read_frames",
    "read_profile",
    "read_table",
    "render_html",
]
