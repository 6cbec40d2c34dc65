"""Row samples for the classifier test that do not depend on how the data was chunked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import category_key
from .profile import CategoricalProfile, NumericProfile

OTHER = "(other)"


def row_keys(start: int, count: int, seed: int) -> np.ndarray:
    """A pseudo-random uint64 per global row index (splitmix64), distinct for distinct rows."""
    x = np.arange(start, start + count, dtype=np.uint64)
    x += np.uint64((seed * 0x9E3779B97F4A7C15) % 2**64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class RowSample:
    """Bottom-k sample: the ``size`` rows with the smallest keys, whatever the chunking."""

    def __init__(self, columns: list[str], size: int, seed: int) -> None:
        self.columns = columns
        self.size = size
        self.seed = seed
        self.rows_seen = 0
        self._keys = np.empty(0, dtype=np.uint64)
        self._frame = pd.DataFrame({name: [] for name in columns})

    def update(self, frame: pd.DataFrame) -> None:
        keys = row_keys(self.rows_seen, len(frame), self.seed)
        self.rows_seen += len(frame)
        part = frame[self.columns]
        if len(self._keys) >= self.size:
            wanted = keys < self._keys.max()
            keys, part = keys[wanted], part[wanted]
        if len(keys) == 0:
            return
        keys = np.concatenate([self._keys, keys])
        merged = pd.concat([self._frame, part.reset_index(drop=True)], ignore_index=True)
        if len(keys) > self.size:
            keep = np.argpartition(keys, self.size - 1)[: self.size]
            keys, merged = keys[keep], merged.iloc[keep].reset_index(drop=True)
        self._keys, self._frame = keys, merged

    def frame(self) -> pd.DataFrame:
        """The sample in key order (deterministic)."""
        order = np.argsort(self._keys, kind="stable")
        return self._frame.iloc[order].reset_index(drop=True)


def synthesize_numeric(profile: NumericProfile, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw from the reference distribution the sketch describes (inverse CDF, linear inside cells).

    Missing values come back as NaN in their reference proportion.
    """
    total = profile.count + profile.missing
    u = rng.random(size) * total
    cdf = np.concatenate(([0], profile.sketch_cdf)).astype(np.float64)
    values = np.concatenate(([profile.sketch_values[0]], profile.sketch_values))
    draws = np.interp(u, cdf, values)
    draws[u >= profile.count] = np.nan
    return draws


def synthesize_categorical(
    profile: CategoricalProfile, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw category keys (None for missing) in their reference proportions."""
    labels = [*profile.categories, OTHER, None]
    weights = np.array([*profile.categories.values(), profile.other, profile.missing], float)
    picks = rng.choice(len(labels), size=size, p=weights / weights.sum())
    return np.array(labels, dtype=object)[picks]


def category_codes(
    reference: np.ndarray, current: np.ndarray, *, limit: int = 254
) -> tuple[np.ndarray, np.ndarray]:
    """Category keys to float codes shared by both sides; the rarest pooled into one code."""
    ref_keys = [category_key(v) for v in reference]
    cur_keys = [category_key(v) for v in current]
    counts: dict[str, int] = {}
    for key in ref_keys + cur_keys:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    code = {key: float(min(i, limit - 1)) for i, key in enumerate(ranked)}

    def encode(keys: list[str | None]) -> np.ndarray:
        return np.array([np.nan if k is None else code[k] for k in keys], dtype=np.float64)

    return encode(ref_keys), encode(cur_keys)
