"""Seeded synthetic data with a known drifted subset, small enough for fast tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = [f"num_{i}" for i in range(6)]
CATEGORICAL = ["color", "size"]
FEATURES = {**dict.fromkeys(NUMERIC, "numeric"), **dict.fromkeys(CATEGORICAL, "categorical")}
DRIFTED = {"num_0", "num_1", "color"}


def make_frame(rows: int, *, drifted: bool, seed: int) -> pd.DataFrame:
    """Numeric features ~N(0, 1); when ``drifted``, num_0 shifts, num_1 widens, color re-weights."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i, name in enumerate(NUMERIC):
        loc = 0.3 if drifted and name == "num_0" else 0.0
        scale = 1.5 if drifted and name == "num_1" else 1.0
        values = rng.normal(loc, scale, rows)
        data[name] = np.round(values, 2) if i == 5 else values  # num_5 has many ties
    weights = [0.2, 0.3, 0.5] if drifted else [0.5, 0.3, 0.2]
    data["color"] = rng.choice(np.array(["red", "green", "blue"], dtype=object), rows, p=weights)
    data["size"] = rng.choice(np.array(["S", "M", "L", "XL"], dtype=object), rows)
    return pd.DataFrame(data)
