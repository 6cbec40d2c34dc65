"""Validation time: the examples, the 50-model estate and generated specs of 1, 10, 50 and 200
models, side by side in one table.

"process" is `mlops validate SPEC -f json` as a whole process (interpreter start, imports,
validation and planning of every stack): its wall time and its CPU time (user + system, from
``getrusage``: what a busy, shared machine does not inflate), medians of ``--repeat`` runs;
"in-process" is reading and validating the file in this process WITHOUT the per-process cache
(``validate_document(read(path))``), CPU seconds, median of ``--repeat`` runs. Every run must succeed and
say the spec is valid, and each in-process run must build a new result (a cached result would
time nothing): the benchmark fails instead of printing a number it did not measure.

Goals (issue 9): a typical spec (the examples) <= 0.3 s as a process; 200 models <= 1 s
(judged on the process's CPU time).

    python benchmarks/validate.py [--repeat 3] [--models 1 10 50 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.specgen import write  # noqa: E402
from mlops_spec.load import Validation, validate_document  # noqa: E402
from mlops_spec.yamlio import read  # noqa: E402

MLOPS = Path(sys.executable).parent / "mlops"
ESTATE = ROOT / "tests/components/specs/estate.yaml"
TYPICAL_GOAL = 0.3
LARGE_GOAL = 1.0


def _median(fn: Callable[[], Any], runs: int) -> tuple[float, list[Any]]:
    """Median CPU seconds of this process over ``runs`` calls, and the results."""
    times, results = [], []
    for _ in range(runs):
        start = time.process_time()
        results.append(fn())
        times.append(time.process_time() - start)
    return statistics.median(times), results


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process(path: Path) -> tuple[float, float]:
    """`mlops validate` as a user runs it: (wall s, CPU s); raises unless it exits 0 with a
    valid report."""
    cpu, start = _children_cpu(), time.perf_counter()
    result = subprocess.run(
        [str(MLOPS), "validate", str(path), "-f", "json"], capture_output=True, text=True
    )
    report = json.loads(result.stdout or "{}")
    if result.returncode != 0 or report.get("valid") is not True:
        raise RuntimeError(f"mlops validate {path} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - start, _children_cpu() - cpu


def _in_process(path: Path) -> Validation:
    """Read and validate ``path`` without the per-process cache; every stack must plan."""
    validation = validate_document(read(path))
    unplanned = [name for name, stack in validation.stacks.items() if stack.plan is None]
    if not validation.stacks or unplanned:
        raise RuntimeError(f"{path}: stacks not planned: {unplanned or 'none declared'}")
    return validation


def measure(label: str, models: int, path: Path, goal: float | None, repeat: int) -> list[str]:
    """One table row: spec, models, stacks, process wall and CPU s, in-process CPU s, goal,
    met (on the process's CPU time)."""
    runs = [_process(path) for _ in range(repeat)]
    wall = statistics.median(w for w, _ in runs)
    whole = statistics.median(c for _, c in runs)
    inproc, results = _median(lambda: _in_process(path), repeat)
    if len({id(r) for r in results}) != len(results):
        raise RuntimeError("the in-process runs returned a cached result: nothing was timed")
    met = "-" if goal is None else ("yes" if whole <= goal else "NO")
    stacks = len(results[0].stacks)
    shown_goal = "-" if goal is None else f"<= {goal:.1f} s"
    return [
        label,
        str(models),
        str(stacks),
        f"{wall:.3f}",
        f"{whole:.3f}",
        f"{inproc:.3f}",
        shown_goal,
        met,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", type=int, nargs="+", default=[1, 10, 50, 200])
    args = parser.parse_args(argv)
    header = ["spec", "models", "stacks", "process wall s", "process cpu s", "in-process cpu s"]
    header += ["goal", "met"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        for path in sorted(ROOT.glob("examples/*/mlops.yaml")):
            resolved = next(iter(_in_process(path).stacks.values())).resolved
            models = len(resolved.spec.models) if resolved else 0
            rows.append(measure(path.parent.name, models, path, TYPICAL_GOAL, args.repeat))
        rows.append(measure("estate (tests)", 50, ESTATE, None, args.repeat))
        for n in args.models:
            goal = LARGE_GOAL if n >= 200 else None
            rows.append(measure(f"generated {n}", n, write(Path(tmp), n), goal, args.repeat))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"Validation time (median of {args.repeat}; process = `mlops validate -f json`)")
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
