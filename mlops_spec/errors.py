"""One root error for spec problems, rendered as ``FILE:LINE:COL: spec.path: message``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    """``("models", "churn", "monitors", 0)`` -> ``models.churn.monitors[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Problem:
    """One problem in a spec, located as precisely as it can be."""

    file: str
    line: int | None
    column: int | None
    loc: Loc
    message: str
    got: Any = None
    allowed: str | None = None
    suggestion: str | None = None
    hint: str | None = None
    environment: str | None = None

    @property
    def path(self) -> str:
        return dotted(self.loc)

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        details = []
        if self.got is not None:
            details.append(f"got {_show(self.got)}")
        if self.allowed:
            details.append(f"allowed {self.allowed}")
        if self.suggestion:
            details.append(f"did you mean {self.suggestion!r}?")
        if self.hint:
            details.append(self.hint)
        if self.environment:
            details.append(f"in stack {self.environment!r}")
        text = (
            f"{where}: spec.{self.path}: {self.message}" if self.loc else f"{where}: {self.message}"
        )
        return text + (f" ({'; '.join(details)})" if details else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path if self.loc else None,
            "environment": self.environment,
            "message": self.message,
            "got": self.got
            if isinstance(self.got, str | int | float | bool)
            else (None if self.got is None else str(self.got)),
            "allowed": self.allowed,
            "suggestion": self.suggestion,
            "hint": self.hint,
        }


class SpecError(Exception):
    """Every problem found in a spec, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        unique: list[Problem] = []
        seen: set[tuple[Any, ...]] = set()
        for problem in problems:
            key = (problem.file, problem.line, problem.loc, problem.message)
            if key not in seen:
                seen.add(key)
                unique.append(problem)
        unique.sort(key=lambda p: (p.file, p.line or 0, p.column or 0, p.environment or ""))
        self.problems = unique
        super().__init__("\n".join(p.render() for p in unique))


def file_error(file: str, message: str, **details: Any) -> SpecError:
    """A SpecError about a whole file (no position): missing, unreadable, not a plan..."""
    return SpecError([Problem(file, None, None, (), message, **details)])
