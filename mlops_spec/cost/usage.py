"""The optional usage file: what a plan cannot know, per model.

::

    # mlops-usage.yaml (beside the spec)
    models:
      ticket-router:              # a serverless model
        requests_per_month: 2000000
        mean_duration_ms: 120
      lifetime-value:
        hours_per_run:            # by pipeline step; replaces the step's maximum runtime
          Transform: 0.5          # transform jobs have no maximum runtime
          Train: 1.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_spec.errors import Problem, SpecError
from mlops_spec.yamlio import Loc, Position, read

USAGE_FILE = "mlops-usage.yaml"
MODEL_KEYS = ("requests_per_month", "mean_duration_ms", "hours_per_run")


@dataclass(frozen=True)
class ModelUsage:
    requests_per_month: float | None = None
    mean_duration_ms: float | None = None
    hours_per_run: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    models: Mapping[str, ModelUsage] = field(default_factory=dict)
    path: str | None = None

    def model(self, model: str) -> ModelUsage:
        return self.models.get(model) or ModelUsage()


class _Reader:
    def __init__(self, file: str, values: Mapping[Loc, Position], keys: Mapping[Loc, Position]):
        self.file, self.values, self.keys = file, values, keys
        self.problems: list[Problem] = []

    def problem(self, loc: Loc, message: str, got: Any = None, allowed: str | None = None) -> None:
        where = self.values.get(loc) or self.keys.get(loc)
        path = ".".join(str(part) for part in loc)
        self.problems.append(
            Problem(
                self.file,
                where.line if where else None,
                where.column if where else None,
                (),
                f"{path}: {message}" if path else message,
                got=got,
                allowed=allowed,
            )
        )

    def mapping(self, value: Any, loc: Loc) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        self.problem(loc, "must be a mapping", got=type(value).__name__)
        return {}

    def number(self, value: Any, loc: Loc, positive: bool = False) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and (value > 0 or (value == 0 and not positive)):
            return float(value)
        self.problem(loc, "must be a number", got=value, allowed="> 0" if positive else ">= 0")
        return None


def _model(reader: _Reader, value: Any, loc: Loc) -> ModelUsage:
    data = reader.mapping(value, loc)
    for key in data:
        if key not in MODEL_KEYS:
            reader.problem((*loc, key), "unknown key", got=key, allowed=", ".join(MODEL_KEYS))
    hours = reader.mapping(data.get("hours_per_run", {}), (*loc, "hours_per_run"))
    return ModelUsage(
        requests_per_month=(
            reader.number(data["requests_per_month"], (*loc, "requests_per_month"))
            if "requests_per_month" in data
            else None
        ),
        mean_duration_ms=(
            reader.number(data["mean_duration_ms"], (*loc, "mean_duration_ms"), positive=True)
            if "mean_duration_ms" in data
            else None
        ),
        hours_per_run={
            str(step): number
            for step, value in hours.items()
            if (number := reader.number(value, (*loc, "hours_per_run", step), True)) is not None
        },
    )


def read_usage(path: Path) -> Usage:
    """Read and check a usage file; every problem at once (``SpecError``, file:line)."""
    document = read(path)
    reader = _Reader(str(path), document.values, document.keys)
    root = reader.mapping(document.data, ())
    for key in root:
        if key != "models":
            reader.problem((key,), "unknown key", got=key, allowed="models")
    models = reader.mapping(root.get("models", {}), ("models",))
    usage = Usage(
        {str(m): _model(reader, value, ("models", m)) for m, value in models.items()}, str(path)
    )
    if reader.problems:
        raise SpecError(reader.problems)
    return usage
