"""Console, output format and failure reporting shared by the CLI's commands."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

from mlops_spec.errors import Problem

if TYPE_CHECKING:
    import typer
    from rich.console import Console

    from mlops_spec.verdict import Note


class _LazyConsole:
    """A rich ``Console`` made on first use, so that a command printing JSON (``mlops validate
    -f json``) never imports rich (about 20 ms of a 0.3 s command). Emoji codes are off: a
    location such as ``mlops.yaml:100:9`` must not print as an emoji."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                stderr=self._stderr, highlight=False, soft_wrap=True, emoji=False
            )
            if not self._stderr and not self._console.is_terminal:
                self._console.width = 160
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))


class Format(StrEnum):
    """Output format: text for people, json for machines."""

    TEXT = "text"
    JSON = "json"


def _parameters() -> dict[str, Any]:
    """The commands' shared typer parameters, made when a command module first names one:
    `mlops validate`'s plain path (``mlops_spec.cli``) never imports typer."""
    import typer

    return {
        "SpecArg": Annotated[
            Path, typer.Argument(help="The spec file (YAML).", show_default=False, metavar="SPEC")
        ],
        "StackOpt": Annotated[
            str | None, typer.Option("--stack", "-s", help="Stack (environment) name, e.g. dev.")
        ],
        "FormatOpt": Annotated[Format, typer.Option("--format", "-f", help="Output format.")],
    }


if TYPE_CHECKING:
    SpecArg = Path
    StackOpt = str | None
    FormatOpt = Format


def __getattr__(name: str) -> Any:
    if name not in ("SpecArg", "StackOpt", "FormatOpt"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals().update(_parameters())
    return globals()[name]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def print_notes(notes: list[Note]) -> None:
    """The planner's notes, on stderr, as ``validate`` and ``plan`` both show them."""
    for note in notes:
        err.print(note.render(), markup=False, style="yellow")


def fail(problems: list[Problem], fmt: Format = Format.TEXT) -> typer.Exit:
    """Report problems (stderr for text, stdout JSON for machines); exit code 1."""
    import typer

    if fmt is Format.JSON:
        print_json({"valid": False, "problems": [p.to_dict() for p in problems]})
    else:
        for problem in problems:
            err.print(problem.render(), markup=False)
        noun = "problem" if len(problems) == 1 else "problems"
        err.print(f"[red]✗ {len(problems)} {noun}[/red]")
    return typer.Exit(1)


def write_output(path: Path, text: str, fmt: Format = Format.TEXT) -> None:
    """Write ``text`` to ``path``; an unwritable path is a clear error (exit 1)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        raise fail(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    (),
                    f"cannot write: {reason}",
                    hint="check that the directory exists and is writable",
                )
            ],
            fmt,
        ) from None
