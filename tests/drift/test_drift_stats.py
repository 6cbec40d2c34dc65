"""The statistics against scipy and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from mlops_runtime.drift import stats


def test_psi_hand_computed():
    # proportions 0.5/0.3/0.2 -> 0.4/0.3/0.3:
    # (0.4-0.5)*ln(0.4/0.5) + 0 + (0.3-0.2)*ln(0.3/0.2) = 0.0223144 + 0.0405465
    assert stats.psi([50, 30, 20], [40, 30, 30]) == pytest.approx(0.0628609, abs=1e-7)


def test_psi_empty_bin_uses_epsilon():
    expected = (0.5 - 1e-4) * math.log(0.5 / 1e-4) + (0.5 - 1.0) * math.log(0.5 / 1.0)
    assert stats.psi([0, 10], [5, 5]) == pytest.approx(expected)


def test_psi_undefined_without_values():
    assert math.isnan(stats.psi([0, 0], [1, 2]))


counts = st.lists(st.integers(0, 10_000), min_size=2, max_size=12)


@given(counts, counts)
def test_psi_is_non_negative(ref, cur):
    size = min(len(ref), len(cur))
    ref, cur = ref[:size], cur[:size]
    value = stats.psi(ref, cur)
    assert math.isnan(value) if sum(ref) == 0 or sum(cur) == 0 else value >= 0


@given(counts, st.integers(1, 50))
def test_psi_of_same_distribution_is_zero(ref, factor):
    if sum(ref) > 0:
        assert stats.psi(ref, [c * factor for c in ref]) == pytest.approx(0, abs=1e-12)


def _samples(seed: int):
    rng = np.random.default_rng(seed)
    yield rng.normal(size=3000), rng.normal(0.05, size=2500)
    yield rng.normal(size=40_000), rng.normal(0.0, 1.02, size=30_000)
    yield rng.integers(0, 20, 5000).astype(float), rng.integers(0, 21, 4000).astype(float)
    yield np.round(rng.normal(size=20_000), 1), np.round(rng.normal(0.01, size=20_000), 1)
    yield rng.exponential(size=7), rng.exponential(size=11)


@pytest.mark.parametrize("index", range(5))
def test_ks_equals_scipy_asymp(index):
    ref, cur = list(_samples(7))[index]
    expected = sps.ks_2samp(ref, cur, method="asymp")
    statistic, p_value = stats.ks_sorted(np.sort(ref), np.sort(cur), stats.SCIPY)
    assert statistic == expected.statistic
    assert p_value == expected.pvalue


@pytest.mark.parametrize("index", range(5))
def test_ks_default_pvalue_is_close_to_scipy(index):
    ref, cur = list(_samples(7))[index]
    en = len(ref) * len(cur) / (len(ref) + len(cur))
    statistic, p_value = stats.ks_sorted(np.sort(ref), np.sort(cur))
    asymp = sps.ks_2samp(ref, cur, method="asymp")
    assert statistic == asymp.statistic
    assert abs(p_value - asymp.pvalue) <= 0.29 / math.sqrt(en)
    default = sps.ks_2samp(ref, cur)  # exact below 10,000 rows (statistic rounded), asymp above
    assert statistic == pytest.approx(default.statistic, abs=1e-12)
    assert abs(p_value - default.pvalue) <= max(0.29 / math.sqrt(en), 0.05 if en < 50 else 0.02)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=60),
    st.lists(st.integers(-5, 5), min_size=1, max_size=60),
    st.floats(0.1, 3),
)
def test_ks_statistic_equals_scipy_with_ties(ref, cur, scale):
    ref_a, cur_a = np.array(ref) * scale, np.array(cur) * scale
    statistic, p_value = stats.ks_sorted(np.sort(ref_a), np.sort(cur_a), stats.SCIPY)
    expected = sps.ks_2samp(ref_a, cur_a, method="asymp")
    assert statistic == expected.statistic
    np.testing.assert_equal(p_value, expected.pvalue)  # both NaN for 1 vs 1 value


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n1=st.integers(1, 3000),
    n2=st.integers(300, 3000),
    grid_points=st.integers(2, 30),
    ties=st.booleans(),
    data_grid=st.booleans(),
)
def test_ks_grid_refinement_is_exact(seed, n1, n2, grid_points, ties, data_grid):
    rng = np.random.default_rng(seed)
    ref, cur = rng.normal(size=n1), rng.normal(rng.normal() * 0.2, 1 + rng.random() * 0.2, n2)
    if ties:
        ref, cur = np.round(ref, 1), np.round(cur, 1)
    ref.sort()
    cur.sort()
    grid = np.unique(
        ref[:: max(1, n1 // grid_points)] if data_grid else rng.normal(size=grid_points)
    )
    statistic, p_value = stats.ks_sorted(ref, cur, stats.SCIPY, grid=grid)
    expected = sps.ks_2samp(ref, cur, method="asymp")
    assert statistic == expected.statistic
    np.testing.assert_equal(p_value, expected.pvalue)


def test_ks_large_samples_use_the_default_grid():
    rng = np.random.default_rng(11)
    ref, cur = np.sort(rng.normal(size=60_000)), np.sort(rng.normal(0.01, size=50_000))
    statistic, p_value = stats.ks_sorted(ref, cur, stats.SCIPY)
    expected = sps.ks_2samp(ref, cur, method="asymp")
    assert (statistic, p_value) == (expected.statistic, expected.pvalue)


def test_chi2_equals_scipy():
    ref = np.array([500, 300, 200, 0])
    cur = np.array([380, 330, 260, 30])
    statistic, p_value, dof = stats.chi2_homogeneity(ref, cur)
    table = np.vstack([ref, cur])
    expected = sps.chi2_contingency(table, correction=False)
    assert (statistic, p_value, dof) == (expected.statistic, expected.pvalue, expected.dof)
    # the same test as scipy.stats.chisquare on the 2 x k table against its expected counts
    flat = sps.chisquare(table.ravel(), expected.expected_freq.ravel(), ddof=table.size - 1 - dof)
    assert statistic == pytest.approx(flat.statistic, rel=1e-12)
    assert p_value == pytest.approx(flat.pvalue, rel=1e-9)


def test_chi2_drops_buckets_empty_on_both_sides():
    with_empty = stats.chi2_homogeneity(np.array([5, 0, 7]), np.array([6, 0, 9]))
    assert with_empty == stats.chi2_homogeneity(np.array([5, 7]), np.array([6, 9]))


def test_chi2_single_bucket_is_no_evidence():
    assert stats.chi2_homogeneity(np.array([5, 0]), np.array([9, 0])) == (0.0, 1.0, 0)


def test_ks_from_cdf_matches_exact_on_full_grid():
    rng = np.random.default_rng(3)
    ref, cur = np.sort(rng.normal(size=500)), np.sort(rng.normal(0.2, size=400))
    grid = np.union1d(ref, cur)
    d, _ = stats.ks_from_cdf(
        np.searchsorted(ref, grid, "right"), np.searchsorted(cur, grid, "right"), 500, 400
    )
    assert d == pytest.approx(stats.ks_sorted(ref, cur)[0], abs=1e-15)


def test_classifier_auc_separates_shifted_data():
    rng = np.random.default_rng(0)
    shifted = stats.classifier_auc(rng.normal(size=2000), rng.normal(2, size=2000))
    same = stats.classifier_auc(rng.normal(size=2000), rng.normal(size=2000))
    assert shifted > 0.8
    assert 0.4 < same < 0.6


def test_bonferroni():
    assert stats.bonferroni(0.05, 10) == pytest.approx(0.005)
    assert stats.bonferroni(0.05, 0) == 0.05
