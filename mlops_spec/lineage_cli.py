"""``mlops approve|reject|lineage``: people's decisions and a model version's lineage.

The names (package group, endpoint, runtime table) come from the spec and the stack through
the planner (``mlops_spec.naming``); the work is ``mlops_runtime.aws.lineage_ops`` with the
caller's AWS credentials, or, for a model the cluster trains (``training.platform:
kubernetes``), ``mlops_runtime.k8s.lineage_ops`` on the loop's object-store registry with the
caller's credentials for that store (imported inside the commands: boto3 loads only when
asked). Exit
codes: 0 done (``--verify``: every input unchanged), 1 bad input or an AWS error, 2 usage,
3 ``--verify``: inputs changed but every recorded version can still be read, 4 ``--verify``:
something recorded is gone (or the record does not match its SHA-256).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from mlops_spec.cli_common import Format, FormatOpt, err, fail, out, print_json
from mlops_spec.errors import Problem, SpecError

if TYPE_CHECKING:
    from types import ModuleType

    from mlops_runtime.aws.lineage_ops import Target
    from mlops_runtime.k8s.lineage_ops import StoreTarget

SpecOpt = Annotated[
    Path, typer.Option("--spec", help="The spec file (YAML) the stack deploys.", show_default=True)
]
StackReq = Annotated[str, typer.Option("--stack", "-s", help="Stack (environment) name.")]
ModelArg = Annotated[str, typer.Argument(help="Model id (a key of the spec's models).")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept with the package).")]


def target(spec: Path, stack: str, model: str, fmt: Format) -> Target | StoreTarget:
    """The model's names in the stack (its object-store registry when the cluster trains
    it), or exit 1 with a located problem."""
    from mlops_runtime.aws.lineage_ops import Target
    from mlops_spec.load import resolve
    from mlops_spec.plan import plan

    try:
        deployment = plan(resolve(spec, stack))
    except SpecError as error:
        raise fail(error.problems, fmt) from None
    cluster = cluster_target(deployment, model)
    if cluster is not None:
        return cluster
    if model not in deployment.models:
        problem = Problem(
            file=str(spec),
            line=None,
            column=None,
            loc=("models",),
            message=f"no model {model!r} in stack {stack}",
            got=model,
            allowed=", ".join(deployment.models),
        )
        raise fail([problem], fmt)
    serving = deployment.serving_for(model)
    endpoint = serving.endpoint.name if serving and serving.endpoint else None
    return Target(
        model=model,
        group=deployment.training_for(model).package_group,
        region=deployment.region,
        table=deployment.retraining.table.name if deployment.retraining else None,
        endpoint=endpoint,
    )


def cluster_target(deployment: Any, model: str) -> StoreTarget | None:
    """The loop's store and Rollout of a model the stack's cluster trains; None otherwise."""
    from mlops_runtime.k8s.lineage_ops import StoreTarget

    kubernetes = getattr(deployment, "kubernetes", None)
    loop = getattr(kubernetes, "loop", None)
    if loop is None or model not in loop.controller.config.models:
        return None
    config = loop.controller.config
    return StoreTarget(model=model, store=config.store, rollout=config.models[model].rollout)


def operations(where: Target | StoreTarget) -> ModuleType:
    """The back end's operator module for ``where``."""
    import mlops_runtime.aws.lineage_ops as aws_ops
    import mlops_runtime.k8s.lineage_ops as k8s_ops

    return k8s_ops if isinstance(where, k8s_ops.StoreTarget) else aws_ops


def _aws_failure(error: Exception, fmt: Format) -> typer.Exit:
    message = f"{type(error).__name__}: {error}"
    if fmt is Format.JSON:
        print_json({"ok": False, "error": message})
    else:
        err.print(f"[red]✗[/red] {message}", markup=True)
    return typer.Exit(1)


def _decide(action: str, spec: Path, stack: str, model: str, version: int, reason: str,
            fmt: Format) -> None:  # fmt: skip
    where = target(spec, stack, model, fmt)
    try:
        record = operations(where).decide(action, where, version, reason)
    except Exception as error:  # a refused decision, botocore: credentials, access denied
        raise _aws_failure(error, fmt) from None
    if fmt is Format.JSON:
        print_json(record)
        return
    out.print(
        f"[green]✓[/green] {model} version {version} {record['decision']} by {record['by']} "
        f"(audit {record['audit_id']})"
    )
    if not getattr(where, "table", True):
        err.print("stack has no runtime table: the decision is kept on the package only")


def register(app: typer.Typer) -> None:
    """Add ``approve``, ``reject`` and ``lineage`` to ``app``."""

    @app.command()
    def approve(
        model: ModelArg,
        version: Annotated[int, typer.Argument(help="Package version.")],
        stack: StackReq,
        reason: ReasonOpt,
        spec: SpecOpt = Path("mlops.yaml"),
        format: FormatOpt = Format.TEXT,
    ) -> None:
        """Approve MODEL's package VERSION as yourself (your AWS identity), with a reason:
        the deploy function then rolls it out (serving: latest_approved)."""
        _decide("approve", spec, stack, model, version, reason, format)

    @app.command()
    def reject(
        model: ModelArg,
        version: Annotated[int, typer.Argument(help="Package version.")],
        stack: StackReq,
        reason: ReasonOpt,
        spec: SpecOpt = Path("mlops.yaml"),
        format: FormatOpt = Format.TEXT,
    ) -> None:
        """Reject MODEL's package VERSION as yourself, with a reason (a served version is
        rolled back to the latest approved one)."""
        _decide("reject", spec, stack, model, version, reason, format)

    @app.command()
    def lineage(
        model: ModelArg,
        stack: StackReq,
        version: Annotated[
            int | None, typer.Argument(help="Package version (default: the one serving).")
        ] = None,
        spec: SpecOpt = Path("mlops.yaml"),
        verify: Annotated[
            bool, typer.Option("--verify", help="Check the inputs still exist unchanged.")
        ] = False,
        format: FormatOpt = Format.TEXT,
    ) -> None:
        """Print what made a model version and every decision about it (trigger -> run ->
        gate -> approval -> deploy -> rollback). Exit 3/4 with --verify when inputs changed
        or are gone."""
        where = target(spec, stack, model, format)
        lineage_ops = operations(where)
        try:
            shown = (lineage_ops.verify if verify else lineage_ops.show)(where, version)
        except Exception as error:  # not found, botocore errors: a message, no traceback
            raise _aws_failure(error, format) from None
        if format is Format.JSON:
            print_json(shown)
        else:
            render(shown)
        if verify:
            raise typer.Exit(lineage_ops.EXIT_CODES[shown["verification"]["verdict"]])


def render(shown: dict[str, Any]) -> None:
    """The lineage as text: the version, what serves, the record's facts, the chain."""
    serving = shown["serving"]
    here = "serving now" if shown["serves_this_version"] else "not serving"
    out.print(
        f"[bold]{shown['model']}[/bold] version {shown['version']} ({shown['status']}, {here})"
    )
    out.print(f"  package   {shown['package_arn']}")
    out.print(
        f"  serving   {serving.get('endpoint') or '-'}: {', '.join(serving['packages']) or '-'}"
    )
    record = shown["record"]
    if record is None:
        out.print("  lineage   none (registered before lineage was recorded)")
    else:
        out.print(f"  record    {shown['record_uri']} ({shown['record_integrity']})")
        out.print(f"  image     {record['image']['resolved_uri']}")
        source = record["source"]
        out.print(
            f"  spec      sha256 {source['spec_sha256']}, commit {source['commit']}, stack {record['stack']}"
        )
        for data in record["data"]:
            out.print(
                f"  data      {data['source']} ({'/'.join(data['roles'])}): {data['count']} objects, "
                f"{data['total_bytes']} bytes, {data['uri']}"
            )
    table = Table(title="decisions", show_lines=False)
    for column in ("step", "at", "decision", "details"):
        table.add_column(column)
    for link in shown["chain"]:
        details = ", ".join(
            f"{k}={v}" for k, v in link.items() if k not in ("step", "at", "decision")
        )
        table.add_row(link["step"], str(link.get("at") or "-"), str(link.get("decision")), details)
    out.print(table)
    if "verification" in shown:
        _render_verification(shown["verification"])


def _render_verification(report: dict[str, Any]) -> None:
    image = report["image"]
    out.print(f"verify    {report['verdict']}")
    out.print(f"  image   {image['status']}{': ' + image['detail'] if image.get('detail') else ''}")
    for data in report["data"]:
        changed = {k: data[k] for k in ("replaced", "deleted", "gone", "added") if data[k]}
        out.print(
            f"  {data['source']}: {data['status']} ({data['unchanged']}/{data['objects']} unchanged)"
        )
        for kind, keys in changed.items():
            out.print(f"    {kind}: {', '.join(keys[:20])}{' ...' if len(keys) > 20 else ''}")
