"""Session fixtures: reference, drifted and stable frames (see synthetic.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from .synthetic import make_frame


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    return make_frame(20_000, drifted=False, seed=1)


@pytest.fixture(scope="session")
def current() -> pd.DataFrame:
    return make_frame(15_000, drifted=True, seed=2)


@pytest.fixture(scope="session")
def stable() -> pd.DataFrame:
    return make_frame(15_000, drifted=False, seed=3)
