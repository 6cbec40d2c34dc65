"""Reference profiles: contents, JSON round-trip, the KS sketch's error bound."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_runtime.drift import (
    CategoricalProfile,
    DriftInputError,
    NumericProfile,
    Profile,
    build_profile,
    compare,
)
from mlops_runtime.drift import stats as drift_stats

from .synthetic import FEATURES


def test_profile_contents(reference):
    profile = build_profile(reference, FEATURES, bins=10, sketch_size=512)
    assert profile.rows == len(reference)
    assert profile.kinds == FEATURES
    num = profile.features["num_0"]
    assert isinstance(num, NumericProfile)
    assert len(num.edges) == 9 and len(num.counts) == 10
    assert num.counts.sum() == len(reference)
    # quantile bins hold about a tenth of the rows each
    assert np.all(np.abs(num.counts / len(reference) - 0.1) < 0.01)
    assert num.sketch_values[0] == reference["num_0"].min()
    assert num.sketch_values[-1] == reference["num_0"].max()
    assert num.sketch_cdf[-1] == len(reference)
    assert num.error_bound <= 1 / 512 + 1 / len(reference)
    color = profile.features["color"]
    assert isinstance(color, CategoricalProfile)
    assert sum(color.categories.values()) == len(reference)
    assert list(color.categories) == ["red", "green", "blue"]  # most frequent first


def test_profile_json_round_trip(reference):
    profile = build_profile(reference, FEATURES, sketch_size=256)
    text = profile.to_json()
    again = Profile.from_json(text)
    assert again.to_json() == text
    data = json.loads(text)
    assert data["format_version"] == 1
    assert set(data["features"]) == set(FEATURES)
    assert len(text) < 200_000  # small: 6 numeric features x 257 sketch points


def test_profile_keeps_top_categories_and_pools_the_rest():
    frame = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["c", "d"]})
    profile = build_profile(frame, {"c": "categorical"}, max_categories=2)
    feature = profile.features["c"]
    assert isinstance(feature, CategoricalProfile)
    assert feature.categories == {"a": 5, "b": 3}
    assert feature.other == 2


def test_profile_counts_missing_and_infinite_values():
    frame = pd.DataFrame({"x": [1.0, np.nan, np.inf, 2.0, 3.0], "c": ["a", None, "b", "a", None]})
    profile = build_profile(frame, {"x": "numeric", "c": "categorical"})
    assert (profile.features["x"].count, profile.features["x"].missing) == (3, 2)
    assert (profile.features["c"].count, profile.features["c"].missing) == (3, 2)


def test_category_keys_unify_text_and_numbers():
    frame = pd.DataFrame({"c": pd.Series([1, 2, 2], dtype="int64")})
    profile = build_profile(frame, {"c": "categorical"})
    report = compare(profile, pd.DataFrame({"c": [1.0, 2.0, 2.0]}))
    assert report.features["c"].unseen == {}
    report = compare(profile, pd.DataFrame({"c": ["1", "2", "2"]}))
    assert report.features["c"].unseen == {}
    assert report.features["c"].statistic == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not a drift profile"),
        ('{"format": "mlops-spec/drift-profile", "format_version": 9}', "format_version 9"),
        ('{"format": "mlops-spec/drift-profile", "format_version": 1}', "damaged"),
    ],
)
def test_bad_profile_json(text, fragment):
    with pytest.raises(DriftInputError, match=fragment):
        Profile.from_json(text, source="p.json")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sketch_size=st.sampled_from([16, 64, 256]),
    shift=st.floats(0, 0.5),
    ties=st.booleans(),
)
def test_sketch_ks_stays_within_its_bound(seed, sketch_size, shift, ties):
    rng = np.random.default_rng(seed)
    ref = rng.normal(size=3000)
    cur = rng.normal(shift, 1, size=2000)
    if ties:
        ref, cur = np.round(ref, 1), np.round(cur, 1)
    profile = build_profile(pd.DataFrame({"x": ref}), {"x": "numeric"}, sketch_size=sketch_size)
    sketched = compare(profile, pd.DataFrame({"x": cur})).features["x"]
    exact, _ = drift_stats.ks_sorted(np.sort(ref), np.sort(cur))
    assert sketched.error_bound is not None
    assert sketched.statistic <= exact + 1e-12
    assert exact - sketched.statistic <= sketched.error_bound + 1e-12


def test_sketch_bound_is_about_one_over_sketch_size():
    values = np.random.default_rng(0).normal(size=100_000)
    profile = build_profile(pd.DataFrame({"x": values}), {"x": "numeric"}, sketch_size=2048)
    assert profile.features["x"].error_bound == pytest.approx(1 / 2048, abs=2e-5)


def test_profile_errors_name_the_problem(reference):
    with pytest.raises(DriftInputError) as info:
        build_profile(reference, {"nope": "numeric", "num_0": "numbers"}, source="train.csv")
    text = str(info.value)
    assert "'numbers'" in text
    with pytest.raises(DriftInputError, match=r"train\.csv has no column 'nope'"):
        build_profile(reference, {"nope": "numeric"}, source="train.csv")
    with pytest.raises(DriftInputError, match="holds 'abc'"):
        build_profile(pd.DataFrame({"x": ["1", "abc"]}), {"x": "numeric"})
    with pytest.raises(DriftInputError, match="no rows"):
        build_profile(reference.iloc[:0], FEATURES)
    with pytest.raises(DriftInputError, match="no non-missing values"):
        build_profile(pd.DataFrame({"x": [np.nan, np.nan]}), {"x": "numeric"})
