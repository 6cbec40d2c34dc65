"""Renames: ``moved_from`` on a model or a data source (pure).

A moved model or source keeps what holds state (the model package group, the endpoint, a
created bucket: :class:`~mlops_spec.naming.Names`), and its Pulumi resources carry their former
logical names as aliases (:func:`~mlops_spec.naming.former_logical_name`), so ``pulumi up``
updates them instead of replacing them. The aliases are needed until every stack has been
deployed once; the kept AWS names come from ``moved_from`` for as long as it is written, so
removing it would replace the stateful resources (docs/spec.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlops_spec.models.spec import SystemSpec
from mlops_spec.naming import Names, Renames


@dataclass(frozen=True)
class MoveProblem:
    """One broken rule of ``moved_from``, located at that field."""

    loc: tuple[str, ...]
    message: str
    got: str


def moved_models(spec: SystemSpec) -> dict[str, str]:
    """Model id -> the id it was moved from."""
    return {k: m.moved_from for k, m in sorted(spec.models.items()) if m.moved_from}


def moved_sources(spec: SystemSpec) -> dict[str, str]:
    """Data source id -> the id it was moved from."""
    return {k: s.moved_from for k, s in sorted(spec.data_sources.items()) if s.moved_from}


def stack_names(spec: SystemSpec, environment: str) -> Names:
    """The physical names of ``spec`` in one stack, moves included."""
    system = spec.system
    return Names(
        system.id,
        environment,
        system.region,
        system.bucket_namespace,
        moved_models=tuple(moved_models(spec).items()),
        moved_sources=tuple(moved_sources(spec).items()),
    )


def renames(spec: SystemSpec) -> Renames:
    """What the components alias: the moves and every current id."""
    return Renames(
        models=tuple(moved_models(spec).items()),
        sources=tuple(moved_sources(spec).items()),
        ids=tuple(sorted({*spec.models, *spec.data_sources})),
    )


def problems(spec: SystemSpec) -> list[MoveProblem]:
    """``moved_from`` names no current id of its kind, and no two move from the same id."""
    found = _problems("models", "model", moved_models(spec), set(spec.models))
    found += _problems("data_sources", "data source", moved_sources(spec), set(spec.data_sources))
    return found


def _problems(
    section: str, kind: str, moves: Mapping[str, str], current: set[str]
) -> list[MoveProblem]:
    found = []
    first: dict[str, str] = {}
    for new, old in moves.items():
        loc = (section, new, "moved_from")
        if old in current:
            what = "its own id" if old == new else f"the current {kind} {old!r}"
            found.append(
                MoveProblem(
                    loc,
                    f"moved_from names {what}; it must be the id the {kind} had before the "
                    f"rename (an id no {kind} has now): write the former id, or remove "
                    "moved_from if nothing was renamed",
                    old,
                )
            )
        elif old in first:
            found.append(
                MoveProblem(
                    loc,
                    f"{section}.{first[old]} already moved from {old!r}; only one {kind} "
                    "can keep its resources: remove moved_from from one of them",
                    old,
                )
            )
        first.setdefault(old, new)
    return found
