"""The ``mlops`` app (typer + rich) and its built-in commands; ``mlops_spec.cli`` is the entry
point. Exit codes: 0 ok, 1 invalid input, 2 usage."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mlops_spec.cli_common import (
    Format,
    FormatOpt,
    SpecArg,
    StackOpt,
    err,
    fail,
    out,
    print_json,
    write_output,
)
from mlops_spec.cli_validate import run as run_validate
from mlops_spec.errors import Problem, SpecError


class _App(typer.Typer):
    """The ``mlops`` app. The commands other modules add (plan, review, cost, check, lineage)
    are mounted when typer first reads the app's commands, and :func:`run` mounts only the
    ones the command line names: `mlops validate` imports none of their modules."""

    def __init__(self, **kwargs: Any) -> None:
        self.pending: list[Callable[[], None]] = []
        self._mounting = False
        super().__init__(**kwargs)

    def mount_pending(self) -> None:
        if self._mounting:
            return
        self._mounting = True
        try:
            while self.pending:
                self.pending.pop(0)()
        finally:
            self._mounting = False

    @property  # type: ignore[override]
    def registered_commands(self) -> list[Any]:
        self.mount_pending()
        return self._commands

    @registered_commands.setter
    def registered_commands(self, value: list[Any]) -> None:
        self._commands = value

    @property  # type: ignore[override]
    def registered_groups(self) -> list[Any]:
        self.mount_pending()
        return self._groups

    @registered_groups.setter
    def registered_groups(self, value: list[Any]) -> None:
        self._groups = value


app = _App(
    name="mlops",
    help="Declarative infrastructure for ML systems: validate, explain and plan a spec.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def validate(spec: SpecArg, stack: StackOpt = None, format: FormatOpt = Format.TEXT) -> None:
    """Validate SPEC and every environment overlay (or only --stack), and plan each stack:
    every check `mlops plan` runs. Exit 1 if invalid."""
    run_validate(spec, stack, format)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of spec files (for editors and CI)."""
    from mlops_spec.schema import render

    text = render()
    if output:
        write_output(output, text)
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


@app.command()
def explain(
    spec: SpecArg,
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack (environment) name.")],
    path: Annotated[
        str | None, typer.Argument(help="Dotted spec path, e.g. models.churn.serving.")
    ] = None,
    format: FormatOpt = Format.TEXT,
) -> None:
    """Show resolved values under PATH and where each came from (default/base/preset/overlay)."""
    from rich.table import Table

    from mlops_spec.explain import explain as explain_values
    from mlops_spec.load import validate_file

    try:
        result = validate_file(spec, stack)
    except SpecError as error:
        raise fail(error.problems, format) from None
    try:
        origins = explain_values(result.stacks[stack], path)
    except KeyError:
        raise fail(
            [
                Problem(
                    str(spec),
                    None,
                    None,
                    (),
                    f"no value at {path!r} in stack {stack!r}",
                    hint="paths look like models.<id>.serving.instance_type",
                )
            ],
            format,
        ) from None
    if format is Format.JSON:
        print_json([o.to_dict() for o in origins])
        return
    table = Table(title=f"{spec} [{stack}]")
    table.add_column("path")
    table.add_column("value")
    table.add_column("from")
    for origin in origins:
        table.add_row(origin.path, json.dumps(origin.value, default=str), origin.describe())
    out.print(table)


class Tier(StrEnum):
    REALTIME = "realtime"
    SERVERLESS = "serverless"
    BATCH = "batch"


_INIT_OPTIONS = {
    ("system", "id"): "--system",
    ("system", "owner"): "--owner",
    ("system", "region"): "--region",
    ("models",): "--model",
}


@app.command()
def init(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the spec alone here ('-' for stdout).",
            show_default="mlops.yaml",
        ),
    ] = None,
    project: Annotated[
        Path | None,
        typer.Option(
            help="Scaffold a whole repository here: Pulumi project, stacks, spec, CI workflow.",
            file_okay=False,
        ),
    ] = None,
    system: Annotated[str, typer.Option(help="System id (lowercase).")] = "my-system",
    owner: Annotated[str, typer.Option(help="Owner e-mail.")] = "team@example.com",
    region: Annotated[str, typer.Option(help="AWS region.")] = "us-east-1",
    model: Annotated[str, typer.Option(help="First model's id.")] = "my-model",
    tier: Annotated[Tier, typer.Option(help="Serving tier of the first model.")] = Tier.REALTIME,
    schema: Annotated[
        bool, typer.Option(help="Also write the JSON Schema beside the spec for editors.")
    ] = True,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Scaffold a commented, valid spec, or with --project a repository to commit."""
    from mlops_spec.scaffold import render_spec

    if output is not None and project is not None:
        raise typer.BadParameter("give --output (a spec alone) or --project, not both")
    output = Path("mlops.yaml") if output is None and project is None else output
    to_stdout = str(output) == "-"
    if output is not None and not to_stdout and output.exists() and not force:
        raise fail(
            [Problem(str(output), None, None, (), "file exists", hint="pass --force to overwrite")]
        )
    filename = "mlops.yaml" if output is None or to_stdout else output.name
    text = render_spec(
        system_id=system,
        owner=owner,
        region=region,
        model_id=model,
        tier=tier.value,
        filename=filename,
        schema=schema and not to_stdout,
    )
    _check_starter_spec(text, filename)
    if project is not None:
        _init_project(project, text, system=system, region=region, schema=schema, force=force)
    elif to_stdout:
        sys.stdout.write(text)
    else:
        assert output is not None
        _write_spec(output, text, schema)


def _check_starter_spec(text: str, filename: str) -> None:
    """The options made an invalid spec: report it as a usage error naming the option."""
    from mlops_spec.load import validate_document
    from mlops_spec.yamlio import parse

    try:
        validate_document(parse(text, filename))
    except SpecError as error:
        for problem in error.problems:
            for prefix, option in _INIT_OPTIONS.items():
                if problem.loc[: len(prefix)] == prefix:
                    detail = (
                        f" (got {problem.got!r}; allowed {problem.allowed})"
                        if (problem.allowed)
                        else f" (got {problem.got!r})"
                    )
                    raise typer.BadParameter(problem.message + detail, param_hint=option) from None
        raise fail(error.problems) from None


def _write_spec(output: Path, text: str, schema: bool) -> None:
    from mlops_spec.scaffold import SCHEMA_FILE
    from mlops_spec.schema import render as render_schema

    write_output(output, text)
    if schema:
        (output.parent / SCHEMA_FILE).parent.mkdir(parents=True, exist_ok=True)
        write_output(output.parent / SCHEMA_FILE, render_schema())
    out.print(f"[green]✓[/green] wrote {output}; next: mlops validate {output}")


def _init_project(
    directory: Path, spec_text: str, *, system: str, region: str, schema: bool, force: bool
) -> None:
    """Write every file of a new repository; refuse to overwrite any unless ``force``."""
    from importlib.metadata import version

    from mlops_spec.scaffold import project_files
    from mlops_spec.schema import render as render_schema

    files = project_files(
        spec_text=spec_text,
        schema_text=render_schema() if schema else None,
        system_id=system,
        region=region,
        version=version("mlops-spec"),
    )
    existing = [directory / f.path for f in files if (directory / f.path).exists()]
    if existing and not force:
        raise fail(
            [
                Problem(str(path), None, None, (), "file exists", hint="pass --force to overwrite")
                for path in existing
            ]
        )
    for file in files:
        path = directory / file.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problem = Problem(str(path.parent), None, None, (), f"cannot create: {error.strerror}")
            raise fail([problem]) from None
        write_output(path, file.text)
    out.print(f"[green]✓[/green] scaffolded {directory} ({len(files)} files); next:")
    out.print(
        f"  cd {directory} && python -m venv .venv && .venv/bin/pip install -r requirements.txt"
    )
    out.print("  mlops validate mlops.yaml && mlops plan mlops.yaml --stack dev")


def _mount_plan() -> None:
    from mlops_spec.plan_cli import register

    register(app)


def _mount_review() -> None:
    """Add `mlops review` and `mlops graph`; the review plans spec files with `run_plan`."""
    from mlops_spec.plan_cli import run_plan
    from mlops_spec.review.command import register

    register(app, run_plan)


def _mount_cost_and_check() -> None:
    """Add `mlops cost`, `mlops prices fetch` and `mlops check` (typer only at import: the
    planner, the estimator, boto3 and the rules load inside the commands)."""
    from mlops_spec.cost.cli import register as register_cost
    from mlops_spec.guardrails.cli import register as register_check

    register_cost(app)
    register_check(app)


def _mount_lineage() -> None:
    """Add `mlops approve`, `mlops reject` and `mlops lineage` (typer only at import: the
    planner and boto3 load inside the commands)."""
    from mlops_spec.lineage_cli import register

    register(app)


def _mount_drift() -> None:
    """Add `mlops drift` (numpy, scipy, pandas: about 1 s of imports, so only when asked)."""
    from mlops_spec.drift_cli import app as drift_app

    app.add_typer(drift_app, name="drift", help="Data drift: profiles and comparisons.")


MOUNTS: dict[str, Callable[[], None]] = {
    "plan": _mount_plan,
    "diff": _mount_plan,
    "review": _mount_review,
    "graph": _mount_review,
    "cost": _mount_cost_and_check,
    "prices": _mount_cost_and_check,
    "check": _mount_cost_and_check,
    "approve": _mount_lineage,
    "reject": _mount_lineage,
    "lineage": _mount_lineage,
}
"""The commands other modules add, by name, and what mounts each."""
app.pending = list(dict.fromkeys(MOUNTS.values()))  # importers (tests) see every command
BUILT_IN = ("validate", "schema", "explain", "init")


def run(args: list[str]) -> None:
    """Run the command line ``args`` with typer, mounting only what the command needs (all of
    it for help or an unknown command, whose message lists every command)."""
    command = args[0] if args else None
    if command in BUILT_IN:
        app.pending = []
    elif command in MOUNTS:
        app.pending = [MOUNTS[command]]
    if (
        command is None
        or command in ("drift", "--help", "-h")
        or command
        not in (
            *BUILT_IN,
            *MOUNTS,
        )
    ):
        _mount_drift()
    app(args=args)
