"""``mlops plan`` and ``mlops diff``: the offline preview of the real Pulumi program.

The preview engine (``mlops_preview``) imports pulumi, so it is imported inside the
commands only; importing this module keeps the core pure.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlops_spec.cli_common import Format, err, fail, out, print_notes, write_output
from mlops_spec.errors import Problem, SpecError, file_error

if TYPE_CHECKING:
    from mlops_preview import PlanDiff, PlanDocument
    from mlops_spec.verdict import Note


def find_project(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``Pulumi.yaml``."""
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return None


def project_root(spec: Path, project_dir: Path | None = None) -> Path:
    """The Pulumi project whose program ``mlops plan`` runs for ``spec``: ``--project-dir``
    if given, else the nearest ``Pulumi.yaml`` above the spec (a spec belongs to the project
    it sits in), else the nearest above the working directory."""
    if project_dir is not None:
        if not (project_dir / "Pulumi.yaml").is_file():
            raise file_error(str(project_dir), "no Pulumi.yaml in the project directory")
        return project_dir.resolve()
    found = find_project(spec.resolve().parent) or find_project(Path.cwd().resolve())
    if found is None:
        raise file_error(
            str(spec),
            "no Pulumi.yaml found above the spec or the current directory",
            hint="pass --project-dir, or scaffold a project with `mlops init --project DIR`",
        )
    return found


def run_plan(spec: Path, stack: str, project_dir: Path | None = None) -> PlanDocument:
    """Validate ``spec`` for ``stack``, then preview the project's program offline."""
    from mlops_spec.load import validate_file

    # every problem is reported here, before any pulumi work
    validation = validate_file(spec, stack)
    resolved = validation.stacks[stack].resolved
    assert resolved is not None
    root = project_root(spec, project_dir)
    from mlops_preview import PreviewError, preview_project

    # The spec decides the region; a stack file of another spec must not override it.
    config = {"spec": str(spec.resolve()), "aws:region": resolved.spec.system.region}
    try:
        document = preview_project(root, stack, config=config)
    except PreviewError as error:
        raise file_error(str(spec), f"offline preview failed: {error}", environment=stack) from None
    from mlops_spec.review.facts import attach_facts

    return attach_facts(document, validation, stack)  # format_version 2: what the spec said


def _git_show(ref: str, spec: Path) -> str:
    spec = spec.resolve()
    top = subprocess.run(
        ["git", "-C", str(spec.parent), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
    )
    if top.returncode != 0:
        raise file_error(
            str(spec),
            "not inside a git repository",
            hint="use `mlops diff BASE.json HEAD.json` instead",
        )
    relative = spec.relative_to(Path(top.stdout.strip()).resolve())
    shown = subprocess.run(
        ["git", "-C", top.stdout.strip(), "show", f"{ref}:{relative}"],
        capture_output=True,
        text=True,
    )
    if shown.returncode != 0:
        raise file_error(
            str(spec), f"cannot read the spec at git ref {ref!r}: {shown.stderr.strip()}"
        )
    return shown.stdout


def base_plan_from_git(spec: Path, stack: str, ref: str, project_dir: Path | None) -> PlanDocument:
    """Plan the spec as it was at ``ref`` (with today's components), for a PR review diff."""
    text = _git_show(ref, spec)
    with tempfile.TemporaryDirectory(prefix="mlops-base-") as tmp:
        base_spec = Path(tmp) / spec.name
        base_spec.write_text(text, encoding="utf-8")
        root = project_root(spec, project_dir)
        try:
            return run_plan(base_spec, stack, root)
        except SpecError as error:
            raise SpecError(
                [
                    Problem(
                        str(spec), None, None, (), f"the spec at {ref} is invalid: {p.render()}"
                    )
                    for p in error.problems
                ]
            ) from None


PROJECT_DIR_HELP = (
    "Directory of Pulumi.yaml (default: the nearest above the spec, else above the working "
    "directory)."
)


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``diff`` to the CLI app."""

    @app.command()
    def plan(
        spec: Annotated[Path, typer.Argument(help="The spec file.", metavar="SPEC")],
        stack: Annotated[str, typer.Option("--stack", "-s", help="Stack (environment).")],
        format: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Also write the JSON plan here.")
        ] = None,
        project_dir: Annotated[Path | None, typer.Option(help=PROJECT_DIR_HELP)] = None,
    ) -> None:
        """Offline preview: run the Pulumi program under recording mocks (no cloud, no CLI)."""
        from mlops_preview.render import render_plan

        try:
            with err.status(f"planning {spec} for stack {stack} (offline)…"):
                document = run_plan(spec, stack, project_dir)
        except SpecError as error:
            raise fail(error.problems, format) from None
        if output is not None:
            write_output(output, document.to_json(), format)
        if format is Format.JSON:
            sys.stdout.write(document.to_json())
        else:
            notes, others = _notes(spec, stack, document)
            out.print(render_plan(dataclasses.replace(document, warnings=others)), soft_wrap=False)
            print_notes(notes)

    @app.command()
    def diff(
        base: Annotated[
            Path,
            typer.Argument(
                help="BASE.json plan, or the SPEC with --base-ref.", metavar="BASE|SPEC"
            ),
        ],
        head: Annotated[Path | None, typer.Argument(help="HEAD.json plan.", metavar="HEAD")] = None,
        stack: Annotated[str | None, typer.Option("--stack", "-s")] = None,
        base_ref: Annotated[str | None, typer.Option(help="Git ref of the base spec.")] = None,
        format: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
        fail_on_danger: Annotated[
            bool, typer.Option(help="Exit 1 when a stateful resource would be deleted or replaced.")
        ] = False,
        project_dir: Annotated[Path | None, typer.Option(help=PROJECT_DIR_HELP)] = None,
    ) -> None:
        """Resource-level diff of two plans; dangerous changes to stateful resources flagged."""
        from mlops_preview import PlanDocument, diff_plans
        from mlops_preview.render import render_diff

        try:
            if base_ref is not None:
                if stack is None or head is not None:
                    raise typer.BadParameter("with --base-ref give SPEC and --stack, no HEAD")
                with err.status(f"planning {base} at {base_ref} and now, stack {stack}…"):
                    before = base_plan_from_git(base, stack, base_ref, project_dir)
                    after = run_plan(base, stack, project_dir)
            else:
                if head is None:
                    raise typer.BadParameter("give BASE.json and HEAD.json, or SPEC --base-ref")
                before, after = (_read_plan(PlanDocument, p) for p in (base, head))
        except SpecError as error:
            raise fail(error.problems, format) from None
        result = with_lifecycle_dangers(diff_plans(before, after), before, after)
        if format is Format.JSON:
            sys.stdout.write(json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n")
        else:
            out.print(render_diff(result), soft_wrap=False)
        if fail_on_danger and result.has_danger:
            raise typer.Exit(1)


def _notes(spec: Path, stack: str, document: PlanDocument) -> tuple[list[Note], tuple[str, ...]]:
    """The stack's planner notes, shown as ``mlops validate`` shows them, and the program's
    other warnings."""
    from mlops_spec.load import validate_file

    resolution = validate_file(spec, stack).stacks[stack]  # cached: no second parse
    planned = set(resolution.plan.notes if resolution.plan else ())
    return resolution.notes, tuple(w for w in document.warnings if w not in planned)


def _read_plan(document_type: type[PlanDocument], path: Path) -> PlanDocument:
    try:
        return document_type.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise file_error(str(path), f"cannot read plan: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise file_error(
            str(path), f"not a plan JSON document (from `mlops plan -f json`): {error}"
        ) from None


def _deploy_owned(document: PlanDocument) -> dict[str, str]:
    """Model id -> endpoint name, for endpoints the deploy function (not Pulumi) owns."""
    models = document.outputs.get("models") or {}
    return {
        model: str(outputs.get("endpoint_name"))
        for model, outputs in models.items()
        if isinstance(outputs, dict) and outputs.get("endpoint_owner") == "deploy-function"
    }


def with_lifecycle_dangers(result: PlanDiff, before: PlanDocument, after: PlanDocument) -> PlanDiff:
    """Add dangers Pulumi cannot see: a `latest_approved` endpoint is created by the deploy
    function, so removing its model leaves it running until the stack's endpoint teardown is
    deleted. A model switched to `pinned` is no danger (its pinned endpoint adopts the endpoint
    by name), nor is one whose teardown goes in the same change (the diff's own danger)."""
    import dataclasses

    from mlops_preview.diff import Danger

    still = _deploy_owned(after)
    pinned = {
        str(outputs.get("endpoint_name"))
        for outputs in (after.outputs.get("models") or {}).values()
        if isinstance(outputs, dict) and outputs.get("endpoint_owner") == "pulumi"
    }
    extra = [
        Danger(
            f"endpoint:{endpoint}",
            "aws:sagemaker/endpoint:Endpoint",
            f"endpoint {endpoint!r} of model {model!r} was created by the deploy function, "
            "not Pulumi: this change stops managing it but leaves it running (and billing) "
            "until the stack is destroyed; delete it now with "
            f"`aws sagemaker delete-endpoint --endpoint-name {endpoint}`",
        )
        for model, endpoint in _deploy_owned(before).items()
        # a renamed model (moved_from) keeps its endpoint: still owned under the new id
        if model not in still
        and endpoint not in pinned
        and endpoint not in still.values()
        and still
    ]
    if not extra:
        return result
    return dataclasses.replace(
        result, dangers=tuple(sorted((*result.dangers, *extra), key=lambda d: (d.urn, d.reason)))
    )
