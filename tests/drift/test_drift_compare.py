"""compare() and DriftAccumulator: verdicts, streaming, unseen categories, options, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from mlops_runtime.drift import (
    DriftAccumulator,
    DriftInputError,
    build_profile,
    compare,
)

from .synthetic import DRIFTED, FEATURES, NUMERIC


@pytest.fixture(scope="module")
def profile(reference):
    return build_profile(reference, FEATURES)


def _chunks(frame: pd.DataFrame, size: int):
    return (frame.iloc[i : i + size] for i in range(0, len(frame), size))


def test_known_drifted_subset_from_raw_reference(reference, current):
    report = compare(reference, current)
    assert set(report.drifted_features) == DRIFTED
    assert report.overall_score == pytest.approx(len(DRIFTED) / len(FEATURES))
    assert report.features["num_0"].method == "ks"
    assert report.features["color"].method == "chi2"


def test_known_drifted_subset_from_profile(profile, current):
    report = compare(profile, current)
    assert set(report.drifted_features) == DRIFTED
    assert report.to_dict()["reference"] == "profile"


def test_no_drift_on_data_from_the_same_distribution(reference, profile, stable):
    assert compare(reference, stable).drifted_features == []
    assert compare(profile, stable).drifted_features == []


def test_raw_reference_ks_equals_scipy(reference, current):
    report = compare(reference, current, features=NUMERIC, ks_pvalue="scipy")
    for name in NUMERIC:
        expected = sps.ks_2samp(reference[name], current[name], method="asymp")
        result = report.features[name]
        assert result.statistic == expected.statistic
        assert result.p_value == expected.pvalue
        assert result.error_bound is None


def test_chi2_equals_scipy_contingency(reference, current):
    report = compare(reference, current, features=["color", "size"])
    for name in ("color", "size"):
        table = pd.crosstab(
            np.r_[np.zeros(len(reference)), np.ones(len(current))],
            np.r_[reference[name].to_numpy(), current[name].to_numpy()],
        ).to_numpy()
        expected = sps.chi2_contingency(table, correction=False)
        assert report.features[name].statistic == pytest.approx(expected.statistic, rel=1e-12)
        assert report.features[name].p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_report_dict_shape(profile, current):
    data = compare(profile, current).to_dict()
    assert set(data["features"]) == set(FEATURES)
    for name, feature in data["features"].items():
        assert {"kind", "method", "statistic", "p_value", "threshold", "drifted"} <= set(feature)
        assert feature["drifted"] == (name in DRIFTED)
    assert sorted(data["drifted_features"]) == sorted(DRIFTED)
    assert data["rows_reference"] == 20_000 and data["rows_current"] == 15_000
    assert data["correction"] == "bonferroni"


def test_bonferroni_threshold_is_alpha_over_tests(profile, current):
    report = compare(profile, current)
    assert report.features["num_2"].threshold == pytest.approx(0.05 / len(FEATURES))
    assert report.features["num_2"].configured_threshold == 0.05
    uncorrected = compare(profile, current, correction="none")
    assert uncorrected.features["num_2"].threshold == 0.05


@pytest.mark.parametrize("chunk", [1_000, 4_999, 15_000])
def test_streaming_equals_one_frame(profile, reference, current, chunk):
    for ref in (profile, reference):
        whole = compare(ref, current).to_dict()
        streamed = compare(ref, _chunks(current, chunk)).to_dict()
        assert streamed == whole


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(1, 1999), max_size=6, unique=True))
def test_accumulator_is_chunking_invariant(cuts):
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(list("abc"), 3000)})
    cur = pd.DataFrame({"x": rng.normal(0.1, size=2000), "c": rng.choice(list("abcd"), 2000)})
    profile = build_profile(ref, {"x": "numeric", "c": "categorical"}, sketch_size=128)
    methods = {"x": "ks", "c": "chi2"}
    bounds = [0, *sorted(cuts), 2000]
    accumulator = DriftAccumulator(profile, methods=methods)
    for lo, hi in itertools.pairwise(bounds):
        accumulator.update(cur.iloc[lo:hi])
    assert accumulator.result().to_dict() == compare(profile, cur, methods=methods).to_dict()


def test_unseen_categories_are_pooled(profile, reference):
    current = reference.copy()
    current.loc[:99, "size"] = "XXL"
    current.loc[100:104, "size"] = "tiny"
    result = compare(profile, current).features["size"]
    assert result.unseen == {"XXL": 100, "tiny": 5}
    hist = dict(zip(result.histogram.labels, result.histogram.current, strict=True))
    assert hist["(other)"] == 105
    assert result.drifted  # 105 rows in a bucket the reference never saw
    assert result.p_value is not None and result.p_value < 1e-20


def test_missing_values_are_counted_and_change_psi(profile, reference):
    current = reference.copy()
    current.loc[: len(current) // 2, "num_3"] = np.nan
    result = compare(profile, current, methods={"num_3": "psi"}).features["num_3"]
    assert result.missing_current == len(current) // 2 + 1
    assert result.drifted and result.statistic > 0.2


def test_methods_and_thresholds_override(profile, current):
    report = compare(
        profile,
        current,
        methods={"num_0": "psi", "color": "csi", "num_2": "ks"},
        thresholds={"psi": 0.5, "num_2": 0.5},
    )
    assert report.features["num_0"].method == "psi"
    assert report.features["num_0"].threshold == 0.5
    assert report.features["color"].method == "psi"
    assert report.features["num_2"].configured_threshold == 0.5


def test_classifier_method(reference, current, profile):
    methods = {"num_1": "classifier", "num_2": "classifier", "color": "classifier"}
    for ref in (reference, profile):
        report = compare(ref, current, methods=methods, classifier_rows=3000)
        assert report.features["num_2"].p_value is None
        assert report.features["num_2"].statistic < 0.6
        assert not report.features["num_2"].drifted
        assert report.features["color"].statistic > 0.6
    strong = current.assign(num_2=current["num_2"] + 3)
    assert compare(profile, strong, methods=methods).features["num_2"].drifted


def test_features_subset(profile, current):
    report = compare(profile, current, features=["num_0", "size"])
    assert list(report.features) == ["num_0", "size"]


def test_current_without_values_for_a_feature(profile, current):
    report = compare(profile, current.assign(num_4=np.nan))
    result = report.features["num_4"]
    assert result.drifted and result.note and "no non-missing values" in result.note


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"methods": {"num_0": "chi2"}}, "does not apply"),
        ({"methods": {"num_0": "kss"}}, "did you mean 'ks'"),
        ({"methods": {"nope": "ks"}}, "unknown feature 'nope'"),
        ({"thresholds": {"ks": 2}}, "must be in (0, 1]"),
        ({"thresholds": {"bogus": 1}}, "neither a feature nor a method"),
        ({"features": ["nope"]}, "not in the reference"),
        ({"correction": "holm"}, "correction 'holm'"),
    ],
)
def test_bad_options(profile, current, kwargs, fragment):
    with pytest.raises(DriftInputError) as info:
        compare(profile, current, **kwargs)
    assert fragment in str(info.value)


def test_bad_current_data(profile, current):
    with pytest.raises(DriftInputError) as info:
        compare(profile, current.drop(columns=["num_0", "color"]), current_source="cur.csv")
    assert info.value.problems[0].startswith("cur.csv has no column 'num_0'")
    assert len(info.value.problems) == 2
    with pytest.raises(DriftInputError, match="'num_1' in current data is declared numeric"):
        compare(profile, current.assign(num_1="high"))
    with pytest.raises(DriftInputError, match="no rows"):
        compare(profile, current.iloc[:0])
    with pytest.raises(DriftInputError, match="no rows"):
        compare(profile, iter([]))
