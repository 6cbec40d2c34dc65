"""Planner overhead: ``mlops plan`` for 1, 10 and 50 models against a bare Pulumi program that
registers the same number of resources under the same offline preview (same mocks, recording
monitor and per-run isolation, :func:`mlops_preview.preview`).

The ratio is what spec loading, validation, planning and the components cost on top of Pulumi's
own per-resource registration. Each cell is the best of ``--repeat`` runs.

    python benchmarks/plan.py [--models 1 10 50] [--repeat 3] [--resources 10 100 500]

The generated specs (benchmarks/specgen.py) hold realtime models with three monitors each,
planned for the production stack.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter

import pulumi_aws as aws
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.specgen import write  # noqa: E402
from mlops_preview import preview  # noqa: E402
from mlops_spec.plan_cli import run_plan  # noqa: E402


def plan_real(n_models: int) -> tuple[float, int]:
    """Seconds taken by the ``mlops plan`` code path (validate + the real ``infra/`` program
    under the offline preview) on a generated spec with ``n_models`` models, and the number of
    resources the plan holds."""
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        spec = write(Path(tmp), n_models)
        start = perf_counter()
        doc = run_plan(spec, "prod", ROOT)
        elapsed = perf_counter() - start
    return elapsed, len(doc.resources)


def bare_program(n_resources: int) -> Callable[[], None]:
    """A program registering ``n_resources`` plain resources and nothing else."""

    def program() -> None:
        for i in range(n_resources):
            aws.ssm.Parameter(f"param-{i}", type="String", value=f"value-{i}", tags={"i": str(i)})

    return program


def plan_bare(n_resources: int) -> float:
    """Seconds to preview the bare program."""
    start = perf_counter()
    doc = preview(bare_program(n_resources), project="bench", stack="bench")
    elapsed = perf_counter() - start
    if len(doc.resources) != n_resources:
        raise RuntimeError(f"bare program registered {len(doc.resources)}, not {n_resources}")
    return elapsed


def best_bare(repeat: int, n_resources: int) -> float:
    return min(plan_bare(n_resources) for _ in range(repeat))


def _ms(seconds: float, count: int) -> str:
    return f"{seconds / count * 1000:.2f}" if count else "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resources", type=int, nargs="+", default=[10, 100, 500])
    args = parser.parse_args(argv)
    console = Console()
    plan_bare(1)  # warm-up: first use imports the pulumi_aws modules
    plan_real(1)  # and the pulumi_aws modules the components use

    table = Table(title=f"Offline plan: real planner vs bare program (best of {args.repeat})")
    for column in (
        "models",
        "resources",
        "real s",
        "bare s",
        "real/bare",
        "real ms/res",
        "bare ms/res",
    ):
        table.add_column(column, justify="right")
    try:
        for n_models in args.models:
            real = [plan_real(n_models) for _ in range(args.repeat)]
            real_s, n_resources = min(real)
            bare_s = best_bare(args.repeat, n_resources)
            table.add_row(
                str(n_models),
                str(n_resources),
                f"{real_s:.3f}",
                f"{bare_s:.3f}",
                f"{real_s / bare_s:.2f}",
                _ms(real_s, n_resources),
                _ms(bare_s, n_resources),
            )
    except NotImplementedError as exc:
        console.print(f"[yellow]{exc}; timing the bare program alone[/]")
        for n_resources in args.resources:
            bare_s = best_bare(args.repeat, n_resources)
            table.add_row(
                "-", str(n_resources), "-", f"{bare_s:.3f}", "-", "-", _ms(bare_s, n_resources)
            )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
