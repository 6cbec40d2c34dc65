"""Planner overhead: ``mlops plan`` for 1, 10, 50 and 200 models against a bare Pulumi program
that registers the same resources under the same offline preview (same mocks, recording
monitor and per-run isolation, :func:`mlops_preview.preview`), side by side in one table.

The bare program replays the real plan: every resource it recorded, with the same type, name,
parent and inputs, as plain ``CustomResource``/``ComponentResource`` registrations. The ratio
is what spec loading, validation, planning and the components' logic cost on top of Pulumi's
own per-resource registration. Times are this process's CPU seconds (``time.process_time``,
every thread: the preview runs the program in its own thread), so other work on a shared
machine does not inflate them. Each cell is the best of ``--repeat`` runs; a run whose bare
program does not register as many resources as the real one fails the benchmark.

Goal (issue 9): real/bare <= 1.2 at every size.

    python benchmarks/plan.py [--models 1 10 50 200] [--repeat 2]

The generated specs (benchmarks/specgen.py, the 50-model estate's mix) are planned for the
production stack.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from time import process_time

import pulumi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.specgen import write  # noqa: E402
from mlops_preview import PlanDocument, preview  # noqa: E402
from mlops_spec.plan_cli import run_plan  # noqa: E402

GOAL = 1.2


def plan_real(spec: Path) -> tuple[float, PlanDocument]:
    """Seconds taken by the ``mlops plan`` code path (validate + the real ``infra/`` program
    under the offline preview), and the plan it recorded."""
    start = process_time()
    doc = run_plan(spec, "prod", ROOT)
    return process_time() - start, doc


def bare_program(doc: PlanDocument) -> Callable[[], None]:
    """A program registering ``doc``'s resources (type, name, parent, inputs) and nothing else."""

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for resource in doc.resources:
            parent = created.get(resource.parent or "")
            opts = pulumi.ResourceOptions(parent=parent)
            if resource.custom:
                created[resource.urn] = pulumi.CustomResource(
                    resource.type, resource.name, dict(resource.inputs), opts=opts
                )
            else:
                created[resource.urn] = pulumi.ComponentResource(
                    resource.type, resource.name, None, opts=opts
                )

    return program


def plan_bare(doc: PlanDocument) -> float:
    """Seconds to preview the bare program replaying ``doc``."""
    start = process_time()
    replayed = preview(bare_program(doc), project="bench", stack="bench")
    elapsed = process_time() - start
    if len(replayed.resources) != len(doc.resources):
        raise RuntimeError(
            f"the bare program registered {len(replayed.resources)} resources, "
            f"the real one {len(doc.resources)}"
        )
    return elapsed


def row(spec: Path, n_models: int, repeat: int) -> list[str]:
    real = [plan_real(spec) for _ in range(repeat)]
    real_s = min(seconds for seconds, _ in real)
    doc = real[0][1]
    if not doc.resources:
        raise RuntimeError(f"{spec}: the real program registered no resources")
    bare_s = min(plan_bare(doc) for _ in range(repeat))
    ratio = real_s / bare_s
    n = len(doc.resources)
    return [
        str(n_models),
        str(n),
        f"{real_s:.2f}",
        f"{bare_s:.2f}",
        f"{ratio:.2f}",
        f"{real_s / n * 1000:.2f}",
        f"{bare_s / n * 1000:.2f}",
        "yes" if ratio <= GOAL else "NO",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    header = ["models", "resources", "real cpu s", "bare cpu s", "real/bare", "real ms/res"]
    header += ["bare ms/res", f"<= {GOAL}"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        warm = write(Path(tmp), 1)
        plan_bare(plan_real(warm)[1])  # warm-up: imports of pulumi_aws and the components
        for n_models in args.models:
            rows.append(row(write(Path(tmp), n_models), n_models, args.repeat))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"Offline plan (prod stack): real program vs bare replay (best of {args.repeat})")
    for cells in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
