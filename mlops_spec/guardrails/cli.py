"""``mlops check PLAN.json``: the guardrails over a plan document. Exit 1 on a violation."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mlops_spec.cli_common import Format, err, fail, out, print_json
from mlops_spec.errors import file_error


class Mode(StrEnum):
    AUTO = "auto"
    PRODUCTION = "production"
    DEVELOPMENT = "development"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise file_error(str(path), f"cannot read plan: {error.strerror}") from None
    except ValueError as error:
        raise file_error(str(path), f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise file_error(
            str(path),
            "not a plan document (an object with 'resources')",
            hint="write one with `mlops plan SPEC --stack S -f json -o PLAN.json`",
        )
    return data


def check(
    plan: Annotated[
        Path, typer.Argument(help="Plan document from `mlops plan -f json`.", metavar="PLAN.json")
    ],
    mode: Annotated[
        Mode,
        typer.Option(help="Stack mode; auto reads it from the plan (format_version 2)."),
    ] = Mode.AUTO,
    skip: Annotated[
        list[str] | None, typer.Option(help="Rule id not to run (repeatable), e.g. paging.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
) -> None:
    """ML and security guardrails over a plan: exit 1 naming each resource and rule broken."""
    from mlops_spec.errors import SpecError
    from mlops_spec.guardrails import RULE_IDS, from_document, production_of_document
    from mlops_spec.guardrails import check as run_rules

    unknown = sorted(set(skip or ()) - set(RULE_IDS))
    if unknown:
        raise typer.BadParameter(
            f"unknown rule {', '.join(unknown)} (rules: {', '.join(RULE_IDS)})", param_hint="--skip"
        )
    try:
        data = _read(plan)
    except SpecError as error:
        raise fail(error.problems, format) from None
    production, source = production_of_document(data), "facts"
    if mode is not Mode.AUTO:
        production, source = mode is Mode.PRODUCTION, "option"
    elif production is None:
        production, source = True, "assumed"
        if format is Format.TEXT:
            err.print(
                f"[yellow]note[/yellow] {escape(str(plan))} does not record the stack's mode "
                "(no facts: format_version 1); checked as production, pass --mode development "
                "for a development stack"
            )
    result = run_rules(from_document(data, production), skip or (), source)
    if format is Format.JSON:
        print_json({"file": str(plan), "stack": data.get("stack"), **result.to_dict()})
    else:
        for violation in result.violations:
            out.print(escape(violation.render()))
        skipped = "; ".join(f"{rule} ({why})" for rule, why in result.skipped)
        tail = f" (skipped: {skipped})" if skipped else ""
        if result.passed:
            err.print(f"[green]✓[/green] {len(result.checked)} rules passed{escape(tail)}")
        else:
            rules = len({v.rule for v in result.violations})
            err.print(
                f"[red]✗ {len(result.violations)} violations of {rules} rules[/red]{escape(tail)}"
            )
    if not result.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``check`` to the CLI app."""
    app.command()(check)
