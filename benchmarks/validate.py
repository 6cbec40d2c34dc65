"""Validation time: the examples and generated specs of 1, 50 and 200 models.

Prints one table. "process" is `mlops validate` as a whole process (interpreter start,
imports, validation of every environment), median of 3 runs; "in-process" is
`validate_file` alone, median of 5. Targets: a typical spec < 0.3 s as a process;
200 models < 1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.specgen import write  # noqa: E402
from mlops_spec.load import validate_file  # noqa: E402

MLOPS = Path(sys.executable).parent / "mlops"


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(p.parent.name, p) for p in sorted(ROOT.glob("examples/*/mlops.yaml"))]
        cases += [(f"generated, {n} models", write(Path(tmp), n)) for n in (1, 50, 200)]
        print(f"{'spec':<24} {'stacks':>6} {'process s':>10} {'in-process s':>13}  target")
        for label, path in cases:
            stacks = len(validate_file(path).stacks)

            def process(path: Path = path) -> None:
                subprocess.run(
                    [str(MLOPS), "validate", str(path), "-f", "json"],
                    check=True,
                    capture_output=True,
                )

            whole = _median(process, 3)
            inproc = _median(lambda path=path: validate_file(path), 5)
            target = "< 1 s (200 models)" if "200" in label else "< 0.3 s (process)"
            print(f"{label:<24} {stacks:>6} {whole:>10.3f} {inproc:>13.3f}  {target}")


if __name__ == "__main__":
    main()
