"""GridCounter counts exactly what a sort and a binary search would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_runtime.drift.binning import GridCounter

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    grid=st.lists(finite, min_size=1, max_size=80, unique=True),
    values=st.lists(finite, min_size=1, max_size=300),
    repeat=st.integers(1, 3),
)
def test_grid_counter_equals_sort_and_search(grid, values, repeat):
    points = np.sort(np.array(grid))
    data = np.repeat(np.array(values), repeat)
    data = np.concatenate([data, points])  # values exactly on grid points
    expected = np.searchsorted(np.sort(data), points, side="right")
    assert np.array_equal(GridCounter(points).cumulative(data), expected)


def test_grid_counter_uses_the_table_on_smooth_grids_and_falls_back_otherwise():
    rng = np.random.default_rng(0)
    smooth = np.quantile(rng.normal(size=10_000), np.linspace(0, 1, 257))
    assert GridCounter(smooth).fast
    uneven = np.concatenate([np.linspace(0, 1, 200), [1e9]])
    counter = GridCounter(uneven)
    assert not counter.fast
    data = np.concatenate([rng.uniform(0, 1, 1000), [1e9, 2e9, -5]])
    expected = np.searchsorted(np.sort(data), uneven, side="right")
    assert np.array_equal(counter.cumulative(data), expected)
