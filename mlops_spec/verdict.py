"""One verdict: what the planner says about each stack, located in the spec.

``validate`` plans every stack it validates (``mlops_spec.load``): a ``PlanError`` is a
problem at the spec line that causes it, like any other; the planner's notes (facts the user
must act on outside the spec) are kept per stack and shown once, naming every stack they
hold in. ``validate`` and ``plan`` print them with the same ``render``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_spec.diagnostics import position_of
from mlops_spec.errors import Problem, dotted
from mlops_spec.plan.errors import split_spec_path
from mlops_spec.yamlio import Loc, Position

if TYPE_CHECKING:
    from mlops_spec.models import ResolvedSpec
    from mlops_spec.plan import DeploymentPlan

STACK = "<stack>"
"""Stands for the stack's name in a note that holds for several stacks."""


@dataclass(frozen=True)
class Located:
    """Where a spec path is written in one stack's merged document."""

    file: str
    stack: str
    positions: Mapping[Loc, Position]
    keys: Mapping[Loc, Position]
    fallback: Position | None

    def position(self, loc: Loc) -> Position | None:
        return position_of(loc, self.positions, self.keys) or self.fallback


def plan_stack(
    resolved: ResolvedSpec, where: Located
) -> tuple[DeploymentPlan | None, list[Problem]]:
    """The stack's plan, or the planner's error as a located problem."""
    from mlops_spec.plan import PlanError, plan

    try:
        return plan(resolved), []
    except PlanError as error:
        position = where.position(error.loc)
        problem = Problem(
            position.file if position else where.file,
            position.line if position else None,
            position.column if position else None,
            error.loc,
            error.message,
            environment=where.stack,
        )
        return None, [problem]


@dataclass(frozen=True)
class Note:
    """A fact the user must act on outside the spec, for the stacks it holds in."""

    loc: Loc
    message: str
    stacks: tuple[str, ...]
    file: str
    line: int | None = None
    column: int | None = None
    generic: str = field(default="", compare=False, repr=False)
    """The message with the stack's name prefix written ``<system>-<stack>``: notes of two
    stacks with equal ``generic`` texts are one note."""
    layer: str = field(default="base", compare=False, repr=False)
    """Where the position is from: ``base`` (the file) or ``overlay:<stack>``."""

    def render(self) -> str:
        where = self.file + (f":{self.line}:{self.column or 1}" if self.line else "")
        path = f"spec.{dotted(self.loc)}: " if self.loc else ""
        noun = "stack" if len(self.stacks) == 1 else "stacks"
        return f"{where}: note: {path}{self.message} ({noun} {', '.join(self.stacks)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": dotted(self.loc) if self.loc else None,
            "message": self.message,
            "stacks": list(self.stacks),
        }


def _generic(text: str, system: str, stack: str) -> str:
    """``text`` with the stack's name prefix (``<system>-<stack>``, how every derived name
    starts) written ``<system>-<stack>``: equal for two stacks means the same note."""
    return text.replace(f"{system}-{stack}", f"{system}-{STACK}")


def stack_notes(deployment: DeploymentPlan, where: Located) -> list[Note]:
    """The planner's notes of one stack, located."""
    notes = []
    system = deployment.system
    for text in deployment.notes:
        loc, message = split_spec_path(text)
        position = where.position(loc)
        notes.append(
            Note(
                loc,
                message,
                (where.stack,),
                position.file if position else where.file,
                position.line if position else None,
                position.column if position else None,
                _generic(message, system, where.stack),
                position.layer if position else "base",
            )
        )
    return notes


def merge_notes(per_stack: dict[str, list[Note]]) -> list[Note]:
    """Each note once: notes that read the same but for the stack's name are one note
    naming every stack (in the order given), written with ``<stack>`` where names differ."""
    merged: dict[tuple[Loc, str], list[Note]] = {}
    for notes in per_stack.values():
        for note in notes:
            merged.setdefault((note.loc, note.generic), []).append(note)
    result = []
    for (_, generic), found in merged.items():
        first = next((n for n in found if n.layer == "base"), found[0])  # the file's line
        message = first.message if len(found) == 1 else generic
        stacks = tuple(stack for note in found for stack in note.stacks)
        result.append(
            Note(first.loc, message, stacks, first.file, first.line, first.column, generic)
        )
    return sorted(result, key=lambda n: (n.file, n.line or 0, n.column or 0, n.message))
