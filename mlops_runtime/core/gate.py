"""The champion gate: bounds on the candidate's metric, and beating the champion's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mlops_runtime.contract.config import GateConfig

LOWER_IS_BETTER = frozenset({"rmse", "mae"})


def higher_is_better(metric: str) -> bool:
    """Whether larger values of ``metric`` are better (``rmse`` and ``mae``: smaller)."""
    return metric not in LOWER_IS_BETTER


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict with every reason that led to it."""

    metric: str
    value: float | None
    champion_value: float | None
    higher_is_better: bool
    min_value: float | None
    max_value: float | None
    min_improvement: float
    passed: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reasons": list(self.reasons)}


def apply(
    gate: GateConfig,
    metrics: Mapping[str, float],
    champion: Mapping[str, float] | None,
    champion_error: str | None = None,
) -> GateResult:
    """Judge the candidate's ``metrics`` against ``gate`` and the ``champion``'s metrics
    (None: the group has no Approved package). ``champion_error`` says why the champion could
    not be read: the gate then fails, since comparing with nothing could pass a worse model."""
    higher = gate.higher_is_better
    if higher is None:
        higher = higher_is_better(gate.metric)
    value = metrics.get(gate.metric)
    champion_value = (champion or {}).get(gate.metric)
    failures: list[str] = []
    notes: list[str] = []
    if champion_error is not None:
        failures.append(
            f"the champion is unknown, so the candidate cannot be compared with it: {champion_error}"
        )
    if value is None:
        failures.append(f"candidate has no {gate.metric} (computed: {sorted(metrics)})")
    else:
        if gate.min_value is not None and value < gate.min_value:
            failures.append(f"{gate.metric} {value:.6g} is below the minimum {gate.min_value:g}")
        if gate.max_value is not None and value > gate.max_value:
            failures.append(f"{gate.metric} {value:.6g} is above the maximum {gate.max_value:g}")
        if champion_error is None:
            beaten, noted = _against_champion(gate, value, champion, champion_value, higher)
            failures += beaten
            notes += noted
    if value is not None and not failures:
        notes.insert(0, f"{gate.metric} {value:.6g} passes the gate")
    return GateResult(
        metric=gate.metric,
        value=value,
        champion_value=champion_value,
        higher_is_better=higher,
        min_value=gate.min_value,
        max_value=gate.max_value,
        min_improvement=gate.min_improvement,
        passed=not failures,
        reasons=tuple(failures + notes),
    )


def _against_champion(
    gate: GateConfig,
    value: float,
    champion: Mapping[str, float] | None,
    champion_value: float | None,
    higher: bool,
) -> tuple[list[str], list[str]]:
    """(failures, notes) of the comparison with a champion that was read."""
    if champion is None:
        return [], ["no approved champion: nothing to beat"]
    if champion_value is None:
        return [], [f"champion recorded no {gate.metric}: comparison skipped"]
    beaten = _compare(gate, value, champion_value, higher)
    return beaten, [] if beaten else [f"beats the champion's {champion_value:.6g}"]


def _compare(gate: GateConfig, value: float, champion: float, higher: bool) -> list[str]:
    """The failure, if the candidate does not beat the champion by ``min_improvement``."""
    required = champion + gate.min_improvement if higher else champion - gate.min_improvement
    if (value >= required) if higher else (value <= required):
        return []
    relation = "at least" if higher else "at most"
    return [
        f"{gate.metric} {value:.6g} does not beat the champion's {champion:.6g} by "
        f"{gate.min_improvement:g} (needs {relation} {required:.6g})"
    ]
