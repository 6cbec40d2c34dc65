"""Planner overhead: ``mlops plan`` for 1, 10, 50 and 200 models against a bare Pulumi program
that registers the same resources under the same offline preview (same mocks, recording
monitor and per-run isolation, :func:`mlops_preview.preview`), side by side in one table.

The bare program replays the real plan (:mod:`benchmarks.replay`): every resource it recorded,
with the same type, name, parent, options and inputs. **typed** registers each through its
provider class (``pulumi_aws.s3.Bucket``, ``pulumi_kubernetes.apps.v1.Deployment``...), as a
hand-written program of the same resources does: the goal is judged on it. **untyped**
registers plain ``pulumi.CustomResource``s (no input translation or type checks): the SDK's
floor, shown so the table is honest about both. The ratio is what spec loading, validation,
planning and the components' logic cost on top of Pulumi's own per-resource registration.

Times are this process's CPU seconds (``time.process_time``, every thread: the preview runs
the program in its own thread), so other work on a shared machine does not inflate them. Each
cell is the best of ``--repeat`` runs, the real, typed and untyped programs taking turns (a
change in the machine's load then falls on every column); each real run validates the spec
anew (the per-process validation cache is emptied first: a cached run would not time
validation at all). The
program's modules, which the preview drops after each run as a new process would not have
them, are imported from compiled bytecode, as an installed package's are (pip compiles them
at install; here a throw-away cache, as ``benchmarks/validate.py`` does). Every timed run
starts from a collected heap whose objects are then frozen (``gc.collect()``, ``gc.freeze()``,
untimed): the collector still runs as the run allocates, but its full collections walk the
objects the run made, not the ~250,000 this process held before it (the benchmark's own
records among them: ~0.2 s a walk here, which fell by chance into one run and not another
and, landing in both, diluted the ratio). The process is set up as the `mlops` command sets up
its own (``mlops_spec.cli.main``): the collector's thresholds and the cache of code compiled
from generated text (``mlops_spec.cli_codecache``, here a throw-away one warmed by the untimed
first run), for all three programs alike. The benchmark fails unless each bare program registers exactly the resources the real one did:
the same URNs (count, types, names and parents), inputs, dependencies and outputs (the
components' registered outputs, the stack's exports).

Goal (issue 9): real/typed bare <= 1.2 at every size.

    python benchmarks/plan.py [--models 1 10 50 200] [--repeat 2]

The generated specs (benchmarks/specgen.py, the 50-model estate's mix) are planned for the
production stack.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from time import process_time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.replay import bare_program  # noqa: E402
from benchmarks.specgen import write  # noqa: E402
from mlops_preview import PlanDocument, PlannedResource, preview  # noqa: E402
from mlops_spec.cli_codecache import CodeCache  # noqa: E402
from mlops_spec.load import forget_validations  # noqa: E402
from mlops_spec.plan_cli import run_plan  # noqa: E402

GOAL = 1.2
PROGRAM = ROOT / "infra"


@contextlib.contextmanager
def _own_heap() -> Iterator[None]:
    """A timed run's collections walk only what the run allocates (module docstring)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def plan_real(spec: Path) -> tuple[float, PlanDocument]:
    """Seconds taken by the ``mlops plan`` code path (validate + the real ``infra/`` program
    under the offline preview), and the plan it recorded."""
    forget_validations()  # each run validates, as each `mlops plan` process does
    with _own_heap():
        start = process_time()
        doc = run_plan(spec, "prod", ROOT)
        return process_time() - start, doc


def plan_bare(doc: PlanDocument, typed: bool) -> float:
    """Seconds to preview the bare program replaying ``doc``; raises unless it registers
    exactly ``doc``'s resources."""
    program = bare_program(doc.resources, typed, doc.outputs)
    with contextlib.chdir(PROGRAM), _own_heap():  # asset paths: relative to the program
        start = process_time()
        replayed = preview(program, project=doc.project, stack=doc.stack)
        elapsed = process_time() - start
    _same(doc, replayed, "typed" if typed else "untyped")
    return elapsed


def _same(real: PlanDocument, bare: PlanDocument, kind: str) -> None:
    """Raise unless ``bare`` holds ``real``'s resources and outputs: the same URNs (count,
    types, names, parents), inputs, dependencies on recorded resources, component outputs and
    stack outputs."""
    recorded = {r.urn for r in real.resources}  # reads (Resource.get) are not recorded

    def key(resource: PlannedResource) -> tuple[Any, ...]:
        depends_on = tuple(u for u in resource.depends_on if u in recorded)
        return resource.inputs, depends_on, None if resource.custom else resource.outputs

    want = {r.urn: key(r) for r in real.resources}
    got = {r.urn: key(r) for r in bare.resources}
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    differ = sorted(urn for urn in set(want) & set(got) if want[urn] != got[urn])
    if bare.outputs != real.outputs:
        raise RuntimeError(f"the {kind} bare program exported other stack outputs")
    if missing or extra or differ:
        raise RuntimeError(
            f"the {kind} bare program registered {len(got)} resources, the real one "
            f"{len(want)}: missing {missing[:3]}, extra {extra[:3]}, "
            f"other inputs, dependencies or outputs {differ[:3]}"
        )


def row(spec: Path, n_models: int, repeat: int) -> list[str]:
    """One size's cells. The three programs take turns, run after run, so that a change in
    the machine's load falls on all of them rather than on one column's runs."""
    first, doc = plan_real(spec)
    if not doc.resources:
        raise RuntimeError(f"{spec}: the real program registered no resources")
    real, typed, untyped = [first], [plan_bare(doc, typed=True)], [plan_bare(doc, typed=False)]
    for _ in range(repeat - 1):
        real.append(plan_real(spec)[0])
        typed.append(plan_bare(doc, typed=True))
        untyped.append(plan_bare(doc, typed=False))
    real_s, typed_s, untyped_s = min(real), min(typed), min(untyped)
    n = len(doc.resources)
    return [
        str(n_models),
        str(n),
        f"{real_s:.2f}",
        f"{typed_s:.2f}",
        f"{untyped_s:.2f}",
        f"{real_s / typed_s:.2f}",
        f"{real_s / untyped_s:.2f}",
        f"{real_s / n * 1000:.2f}",
        f"{typed_s / n * 1000:.2f}",
        "yes" if real_s / typed_s <= GOAL else "NO",
    ]


HEADER = [
    "models",
    "resources",
    "real cpu s",
    "typed bare s",
    "untyped bare s",
    "real/typed",
    "real/untyped",
    "real ms/res",
    "typed ms/res",
    f"real/typed <= {GOAL}",
]


def _compiled_bytecode(cache: Path) -> None:
    """Import the program's modules from compiled bytecode, as an installed package does (pip
    compiles it at install), written to and read from ``cache``: with
    ``PYTHONDONTWRITEBYTECODE`` set (some CI machines, this one) each real run would compile
    ``mlops_components`` anew, since the preview drops the program's modules after a run."""
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(cache)


def _command_process() -> CodeCache:
    """This process as the `mlops` command sets its own up (``mlops_spec.cli.main``): the
    collector's thresholds, and the code the standard modules compile from generated text
    kept in a cache (``mlops_spec.cli_codecache``, beside the bytecode: here under the
    throw-away ``sys.pycache_prefix`` of :func:`_compiled_bytecode`, warmed by the untimed
    first run as a user's first command warms theirs)."""
    from mlops_spec.cli import GC_THRESHOLD
    from mlops_spec.cli_codecache import install

    gc.set_threshold(*GC_THRESHOLD)
    return install("plan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        _compiled_bytecode(Path(tmp) / "pycache")
        atexit.unregister(_command_process().save)  # the directory goes first
        warm = plan_real(write(Path(tmp), 1))[1]  # warm-up: imports of the program's modules
        plan_bare(warm, typed=True)  # and of the provider classes
        for n_models in args.models:
            rows.append(row(write(Path(tmp), n_models), n_models, args.repeat))
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    print(f"Offline plan (prod stack): real program vs bare replays (best of {args.repeat})")
    for cells in [HEADER, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
