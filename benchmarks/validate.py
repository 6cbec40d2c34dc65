"""Validation time: the examples, the 50-model estate and generated specs of 1, 10, 50 and 200
models, side by side in one table.

"process" is `mlops validate SPEC` as a whole process (interpreter start, imports, validation
and planning of every stack), with ``-f json`` and as text: its CPU time (user + system, from
``getrusage``: what a busy, shared machine does not inflate) and, for JSON, its wall time,
medians of ``--repeat`` runs. The processes run as an installed package does, from compiled
bytecode (pip compiles it at install; here a throw-away ``PYTHONPYCACHEPREFIX``, warmed by one
untimed run per format, which also writes the command's own caches as a user's first command
does: its compiled code beside the bytecode, the botocore facts and model descriptions under a
throw-away ``XDG_CACHE_HOME``): with ``PYTHONDONTWRITEBYTECODE`` set, as on some CI machines,
every run compiles every module and the generated code again, which costs about 0.2 s more and
is not what a user's command costs.
"in-process" is reading and validating the file in this process WITHOUT the per-process cache
(``validate_document(read(path))``) under the collector thresholds the command sets
(``mlops_spec.cli.GC_THRESHOLD``), CPU seconds, median of ``--repeat`` runs; the planner's
caches of pure results (shared grants, images, holdout configs) are warm after the first run,
so it can be a little below one command's validation (200 models, five fresh processes: first
validation 0.42-0.51 s, second 0.42-0.48 s). Every run must
succeed and say the spec is valid, and each in-process run must build a new result (a cached
result would time nothing): the benchmark fails instead of printing a number it did not measure.
The last rows are the floors: the interpreter importing pydantic (a plain `mlops validate`)
and pydantic and typer (every other command line), with the command's code cache.

Goals (issue 9): a typical spec (the examples) <= 0.3 s as a process; 200 models <= 1 s
(judged on the process's CPU time with ``-f json``).

    python benchmarks/validate.py [--repeat 3] [--models 1 10 50 200]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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
from mlops_spec.cli import GC_THRESHOLD  # noqa: E402
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


def _environment(cache: Path) -> dict[str, str]:
    """This environment, with bytecode written to and read from ``cache``, and the command's
    own caches under it too (the generated code beside the bytecode, botocore's facts and the
    models' docstrings in ``$XDG_CACHE_HOME/mlops-spec``), so every run starts from the same
    state."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["XDG_CACHE_HOME"] = str(cache / "xdg")
    return env


def _process(path: Path, env: dict[str, str], *options: str) -> tuple[float, float]:
    """`mlops validate` as a user runs it: (wall s, CPU s); raises unless it exits 0 and, with
    ``-f json``, reports the spec valid."""
    cpu, start = _children_cpu(), time.perf_counter()
    result = subprocess.run(
        [str(MLOPS), "validate", str(path), *options], capture_output=True, text=True, env=env
    )
    elapsed, used = time.perf_counter() - start, _children_cpu() - cpu
    valid = (
        json.loads(result.stdout or "{}").get("valid") if options else "is valid" in result.stdout
    )
    if result.returncode != 0 or valid is not True:
        raise RuntimeError(f"mlops validate {path} failed:\n{result.stderr[-2000:]}")
    return elapsed, used


def floor(env: dict[str, str], repeat: int, modules: str, command: str) -> float:
    """Median CPU s of a process that only imports ``modules``, as the ``command``'s entry point
    does (with its code cache, ``mlops_spec.cli_codecache``)."""
    runs = []
    code = f"from mlops_spec.cli_codecache import install; install({command!r}); import {modules}"
    for _ in range(repeat + 1):
        cpu = _children_cpu()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        runs.append(_children_cpu() - cpu)
    return statistics.median(runs[1:])


def _in_process(path: Path) -> Validation:
    """Read and validate ``path`` without the per-process cache; every stack must plan."""
    validation = validate_document(read(path))
    unplanned = [name for name, stack in validation.stacks.items() if stack.plan is None]
    if not validation.stacks or unplanned:
        raise RuntimeError(f"{path}: stacks not planned: {unplanned or 'none declared'}")
    return validation


def measure(
    label: str, models: int, path: Path, goal: float | None, repeat: int, env: dict[str, str]
) -> list[str]:
    """One table row: spec, models, stacks, process wall and CPU s (JSON), process CPU s
    (text), in-process CPU s, goal, met (on the JSON process's CPU time)."""
    _process(path, env, "-f", "json")  # compiles the bytecode this spec's command needs
    _process(path, env)  # and what the text output needs (rich)
    runs = [_process(path, env, "-f", "json") for _ in range(repeat)]
    wall = statistics.median(w for w, _ in runs)
    whole = statistics.median(c for _, c in runs)
    text = statistics.median(_process(path, env)[1] for _ in range(repeat))
    inproc, results = _median(lambda: _in_process(path), repeat)
    if len({id(r) for r in results}) != len(results):
        raise RuntimeError("the in-process runs returned a cached result: nothing was timed")
    met = "-" if goal is None else ("yes" if whole <= goal else "NO")
    stacks = len(results[0].stacks)
    shown_goal = "-" if goal is None else f"<= {goal:.1f} s"
    cells = [f"{wall:.3f}", f"{whole:.3f}", f"{text:.3f}", f"{inproc:.3f}", shown_goal, met]
    return [label, str(models), str(stacks), *cells]


FLOORS = [
    ("floor: import pydantic (plain validate)", "pydantic.main", "validate"),
    ("floor: import pydantic, typer", "pydantic.main, typer", "cli"),
]
"""What every command pays: a plain `mlops validate SPEC [-s S] [-f F]` imports no typer
(``mlops_spec.cli``), every other command line does."""

HEADER = [
    "spec",
    "models",
    "stacks",
    "json wall s",
    "json cpu s",
    "text cpu s",
    "in-process cpu s",
    "goal",
    "met",
]


def rows(tmp: Path, models: list[int], repeat: int) -> list[list[str]]:
    env = _environment(tmp / "pycache")
    found = []
    for path in sorted(ROOT.glob("examples/*/mlops.yaml")):
        resolved = next(iter(_in_process(path).stacks.values())).resolved
        n = len(resolved.spec.models) if resolved else 0
        found.append(measure(path.parent.name, n, path, TYPICAL_GOAL, repeat, env))
    found.append(measure("estate (tests)", 50, ESTATE, None, repeat, env))
    for n in models:
        goal = LARGE_GOAL if n >= 200 else None
        found.append(measure(f"generated {n}", n, write(tmp, n), goal, repeat, env))
    for label, modules, command in FLOORS:
        bare = f"{floor(env, repeat, modules, command):.3f}"
        found.append([label, "-", "-", "-", bare, "-", "-", "-", "-"])
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", type=int, nargs="+", default=[1, 10, 50, 200])
    args = parser.parse_args(argv)
    gc.set_threshold(*GC_THRESHOLD)  # in-process runs collect as the command's process does
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        table = rows(Path(tmp), args.models, args.repeat)
    widths = [max(len(r[i]) for r in [HEADER, *table]) for i in range(len(HEADER))]
    print(f"Validation time (median of {args.repeat}; process = `mlops validate`, bytecode cached)")
    for row in [HEADER, *table]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
