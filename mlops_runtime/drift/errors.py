"""The one error type for bad drift input (missing columns, wrong types, empty or unreadable data)."""

from __future__ import annotations

from collections.abc import Iterable


class DriftInputError(ValueError):
    """Bad input to the drift engine.

    Each problem is one line that names the file or column, the value found and how to fix it;
    ``problems`` keeps them apart so a CLI can print one line per problem.
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def preview(values: Iterable[object], limit: int = 8) -> str:
    """Comma-separated, quoted preview of ``values`` for error messages."""
    items = [repr(str(value)) for value in values]
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")
