"""``mlops review`` and ``mlops graph``.

The review plans spec files through the function it is given (``plan_cli.run_plan``, passed
in by ``cli.py``), so this package never imports the plan command (which imports the review's
facts): one direction of imports.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mlops_spec.cli_common import err, fail, write_output
from mlops_spec.errors import SpecError
from mlops_spec.review.inputs import PlanFn


class ReviewFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


PathsOpt = Annotated[list[Path], typer.Option(help="Spec file, plan JSON or a folder of plans.")]


def register(app: typer.Typer, plan: PlanFn) -> None:
    """Add ``review`` and ``graph`` to the CLI app; ``plan`` plans a spec for a stack."""

    @app.command()
    def review(
        base: PathsOpt,
        head: PathsOpt,
        stack: Annotated[
            list[str] | None, typer.Option("--stack", "-s", help="Only these stacks.")
        ] = None,
        format: Annotated[ReviewFormat, typer.Option("--format", "-f")] = ReviewFormat.MARKDOWN,
        fail_on_danger: Annotated[bool, typer.Option(help="Exit 1 on any danger.")] = False,
        max_chars: Annotated[
            int, typer.Option(help="Comment budget in UTF-16 units (GitHub's limit: 65,536).")
        ] = 60_000,
        link_base: Annotated[
            str | None,
            typer.Option(help="URL the spec path is appended to, e.g. .../blob/<sha>/."),
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the full report here.")
        ] = None,
        prices: Annotated[
            Path | None, typer.Option(help="Price table. Default: the one beside the spec.")
        ] = None,
        accept_label: Annotated[
            str | None, typer.Option(help="Name the pull-request label that accepts dangers.")
        ] = None,
        project_dir: Annotated[Path | None, typer.Option(help="Directory of Pulumi.yaml.")] = None,
    ) -> None:
        """Review a change in ML terms: ML rows with severities, dangers, cost, picture, diff."""
        from mlops_spec.review.build import build_review
        from mlops_spec.review.json_out import review_dict
        from mlops_spec.review.markdown import render_comment, render_full

        try:
            with err.status("planning and comparing…"):
                result = build_review(
                    base, head, stack or [], plan, project_dir, link_base, prices, accept_label
                )
        except SpecError as error:
            raise fail(error.problems) from None
        comment = render_comment(result, max_chars)
        if output is not None:
            write_output(output, render_full(result))
        if format is ReviewFormat.JSON:
            sys.stdout.write(json.dumps(review_dict(result, comment), indent=2) + "\n")
        else:
            sys.stdout.write(comment.text)
        if fail_on_danger and result.has_danger:
            raise typer.Exit(1)

    @app.command()
    def graph(
        spec: Annotated[Path, typer.Argument(help="The spec file.", metavar="SPEC")],
        stack: Annotated[str, typer.Option("--stack", "-s", help="Stack (environment).")],
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    ) -> None:
        """Print a Mermaid flowchart of the system (data -> training -> ... -> actions)."""
        from mlops_spec import graph as mermaid
        from mlops_spec.load import validate_file
        from mlops_spec.review.ml_monitors import words

        try:
            resolved = validate_file(spec, stack).stacks[stack].spec
        except SpecError as error:
            raise fail(error.problems) from None
        picture = mermaid.render(
            resolved.spec.model_dump(mode="json"),
            resolved.environment.model_dump(mode="json"),
            monitor_words=words,
        )
        if picture.text is None:
            err.print(str(picture.note))
            raise typer.Exit(1)
        if output is not None:
            write_output(output, picture.text)
        else:
            sys.stdout.write(picture.text)
