"""`mlops validate`'s work, without typer: the command line's plain path (``mlops_spec.cli``)
and the typer command (``mlops_spec.cli_app``) both run :func:`run`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_spec.cli_common import Format, fail, out, print_json, print_notes
from mlops_spec.errors import SpecError

if TYPE_CHECKING:
    from rich.table import Table


def run(spec: Path, stack: str | None, format: Format) -> None:
    """Validate ``spec`` (every stack, or only ``stack``) and print the verdict; an invalid spec
    raises the exit (code 1) that :func:`mlops_spec.cli_common.fail` makes."""
    from mlops_spec.load import validate_file

    try:
        result = validate_file(spec, stack)
    except SpecError as error:
        raise fail(error.problems, format) from None
    notes = result.notes
    if format is Format.JSON:
        print_json(
            {
                "valid": True,
                "file": str(spec),
                "problems": [],
                "notes": [note.to_dict() for note in notes],
                "stacks": {
                    name: {
                        "environment": r.spec.environment.model_dump(mode="json"),
                        "spec": r.spec.spec.model_dump(mode="json"),
                    }
                    for name, r in result.stacks.items()
                },
            }
        )
        return
    names = ", ".join(result.stacks) or "no environments declared"
    out.print(f"[green]✓[/green] {spec} is valid ({names})")
    if result.stacks:
        out.print(_summary(result.stacks))
    print_notes(notes)


def _summary(stacks: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title="Resolved spec per stack", show_lines=False)
    for column in (
        "stack",
        "mode",
        "model",
        "serving",
        "capacity",
        "training",
        "monitors",
        "protect",
        "schedules",
        "paging",
    ):
        table.add_column(column)
    for name, resolution in stacks.items():
        resolved = resolution.resolved
        env = resolved.environment
        for model_id, model in resolved.spec.models.items():
            serving = model.serving
            on_cluster = resolved.spec.system.platform == "kubernetes"
            capacity, train = _capacity(serving, on_cluster), _training(model.training)
            table.add_row(
                name,
                env.mode.value,
                model_id,
                serving.tier if serving else "-",
                capacity,
                train,
                str(len(model.monitors)),
                "yes" if env.protect else "no",
                "on" if env.schedules_enabled else "paused",
                "on" if env.alarm_actions_enabled else "off",
            )
    return table


def _pod(cpu: float | None, memory_gib: float | None, gpu: int) -> str:
    """A pod's size as the spec sets it ("default": the planner's default for the tier)."""
    size = f"{'default' if cpu is None else f'{cpu:g}'} CPU, "
    size += f"{'default' if memory_gib is None else f'{memory_gib:g}'} GiB"
    return size + (f", {gpu} GPU" if gpu else "")


def _capacity(serving: Any, on_cluster: bool) -> str:
    """The summary's capacity cell: instances on AWS, pods on a cluster."""
    if serving is None:
        return "-"
    if serving.tier == "serverless":
        return f"{serving.memory_mb} MB, ≤{serving.max_concurrency} conc."
    if serving.tier == "realtime":
        scale = serving.autoscaling
        each = _pod(serving.cpu, serving.memory_gib, serving.gpu) if on_cluster else None
        return f"{each or serving.instance_type} x{scale.min_instances}-{scale.max_instances}"
    if on_cluster:
        return _pod(serving.cpu, serving.memory_gib, serving.gpu)
    return f"{serving.instance_type} x{serving.instance_count}"


def _training(training: Any) -> str:
    """The summary's training cell: the SageMaker instance or the Job's pod."""
    spot = " spot" if training.spot else ""
    if training.platform == "kubernetes":
        return f"k8s {_pod(training.cpu, training.memory_gib, training.gpu)}{spot}"
    return f"{training.instance_type}{spot}"
