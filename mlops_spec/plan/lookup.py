"""Look-ups of a plan's records by model id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class _OfModel(Protocol):
    @property
    def model(self) -> str: ...


P = TypeVar("P", bound=_OfModel)


def first_per_model(plans: Iterable[P]) -> dict[str, P]:
    """Each model's first record in ``plans``: an index, so looking a model up is not a scan of
    every model's records (quadratic at 200 models)."""
    index: dict[str, P] = {}
    for plan in plans:
        index.setdefault(plan.model, plan)
    return index
