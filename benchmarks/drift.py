"""Drift engines side by side, in one process, on one seeded synthetic batch.

    python benchmarks/drift.py [--rows 100000,1000000] [--tools ours,scipy,...] [--repeat 1]

The batch has 20 numeric and 3 categorical features (reference and current of ``rows`` rows
each) with a known drifted subset. Every tool goes from the two in-memory DataFrames to one
verdict per feature. Printed per tool: wall time (best of ``--repeat``), peak memory (growth of
the process's peak resident set size during the run: Linux ``/proc/self/clear_refs`` reset,
then ``VmHWM`` minus the ``VmRSS`` at the start; the script re-runs itself with
``MALLOC_MMAP_THRESHOLD_=131072`` so that freed arrays leave the process and do not hide the
next tool's growth), verdict mismatches against scipy (``ks_2samp``
and ``chi2_contingency``, Bonferroni at family-wise alpha 0.05), mismatches against the known
drifted subset, and time relative to ours from a profile.

Peers are optional (a row says "not installed"). Install them apart from the project's venv::

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install evidently nannyml alibi-detect -e .
    .venv-bench/bin/python benchmarks/drift.py

Peer p-values are judged with the same Bonferroni threshold. A peer's own default rule is
counted separately ("own rule"): nannyml raises KS alerts from thresholds fitted on reference
chunks and chi2 alerts at p < 0.05; alibi-detect's feature-level verdict is p < 0.05; evidently
is configured with the Bonferroni threshold directly.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_runtime.drift import build_profile, compare

ALPHA = 0.05
NUMERIC = [f"x{i:02d}" for i in range(20)]
CATEGORICAL = ["c0", "c1", "c2"]
FEATURES = {**dict.fromkeys(NUMERIC, "numeric"), **dict.fromkeys(CATEGORICAL, "categorical")}
DRIFTED = {"x00", "x01", "x10", "x15", "x18", "c0"}
LEVELS = np.array(["alpha", "beta", "gamma", "delta", "epsilon"], dtype=object)

NO_TELEMETRY = {"DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1"}
"""Peers' usage telemetry off: there is no network here, and retries would cost them time."""

Verdicts = dict[str, tuple[float | None, bool]]  # feature -> (p-value or None, tool's own verdict)


def make_batch(rows: int, *, drifted: bool, seed: int) -> pd.DataFrame:
    """Normal, log-normal, uniform, Poisson (ties) and categorical columns; fixed seed."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for i in range(10):
        loc = 0.1 if drifted and i == 0 else 0.0
        scale = 1.1 if drifted and i == 1 else 1.0
        data[f"x{i:02d}"] = rng.normal(loc, scale, rows)
    for i in range(10, 15):
        data[f"x{i:02d}"] = rng.lognormal(0.1 if drifted and i == 10 else 0.0, 0.5, rows)
    for i in range(15, 18):
        shift = 0.02 if drifted and i == 15 else 0.0
        data[f"x{i:02d}"] = rng.uniform(shift, 1 + shift, rows)
    for i in range(18, 20):
        data[f"x{i:02d}"] = rng.poisson(3.3 if drifted and i == 18 else 3.0, rows).astype(float)
    base = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    for j, name in enumerate(CATEGORICAL):
        weights = np.array([0.27, 0.25, 0.2, 0.16, 0.12]) if drifted and j == 0 else base
        data[name] = LEVELS[rng.choice(len(LEVELS), rows, p=weights)]
    return pd.DataFrame(data)


# -- tools: (reference, current, extra) -> per-feature verdicts ---------------------------------


def bonferroni() -> float:
    return ALPHA / len(FEATURES)


def run_scipy(ref: pd.DataFrame, cur: pd.DataFrame) -> Verdicts:
    out: Verdicts = {}
    for name in NUMERIC:
        p = float(stats.ks_2samp(ref[name].to_numpy(), cur[name].to_numpy()).pvalue)
        out[name] = (p, p < bonferroni())
    for name in CATEGORICAL:
        table = pd.concat([ref[name].value_counts(), cur[name].value_counts()], axis=1)
        p = float(stats.chi2_contingency(table.fillna(0).to_numpy().T, correction=False).pvalue)
        out[name] = (p, p < bonferroni())
    return out


def run_ours(reference: object, cur: pd.DataFrame, **options: object) -> Verdicts:
    report = compare(reference, cur, **options)  # type: ignore[arg-type]
    return {n: (r.p_value, r.drifted) for n, r in report.features.items()}


def run_evidently(ref: pd.DataFrame, cur: pd.DataFrame) -> Verdicts:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    preset = DataDriftPreset(num_method="ks", cat_method="chisquare", threshold=bonferroni())
    snapshot = Report([preset]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    out: Verdicts = {}
    for metric in snapshot.dict()["metrics"]:
        found = re.match(r"ValueDrift\(column=([^,]+),", metric.get("metric_name", ""))
        if found:
            p = float(metric["value"])
            out[found.group(1)] = (p, p < bonferroni())
    return out


def run_nannyml(ref: pd.DataFrame, cur: pd.DataFrame) -> Verdicts:
    import nannyml

    calculator = nannyml.UnivariateDriftCalculator(
        column_names=list(FEATURES),
        continuous_methods=["kolmogorov_smirnov"],
        categorical_methods=["chi2"],
        chunk_number=1,
    )
    calculator.fit(ref)
    frame = calculator.calculate(cur).filter(period="analysis").to_df()
    out: Verdicts = {}
    n1, n2 = len(ref), len(cur)
    en = np.round(n1 * n2 / (n1 + n2))
    for name in FEATURES:
        method = "kolmogorov_smirnov" if name in NUMERIC else "chi2"
        value = float(frame[(name, method, "value")].iloc[0])
        alert = bool(frame[(name, method, "alert")].iloc[0])
        if name in NUMERIC:  # nannyml reports D only: p-value as scipy computes it
            p = float(stats.kstwo.sf(value, en))
        else:
            dof = len(set(ref[name].unique()) | set(cur[name].unique())) - 1
            p = float(stats.chi2.sf(value, dof))
        out[name] = (p, alert)
    return out


def run_alibi(ref: pd.DataFrame, cur: pd.DataFrame) -> Verdicts:
    from alibi_detect.cd import TabularDrift

    def encode(frame: pd.DataFrame) -> np.ndarray:
        columns = [frame[n].to_numpy(np.float64) for n in NUMERIC]
        columns += [pd.Categorical(frame[n], categories=LEVELS).codes for n in CATEGORICAL]
        return np.column_stack(columns).astype(np.float64)

    categorical = {len(NUMERIC) + j: None for j in range(len(CATEGORICAL))}
    detector = TabularDrift(
        encode(ref), p_val=ALPHA, categories_per_feature=categorical, correction="bonferroni"
    )
    result = detector.predict(encode(cur), drift_type="feature", return_p_val=True)["data"]
    p_values = result["p_val"]
    flags = result["is_drift"]
    return {
        name: (float(p_values[i]), bool(flags[i]))
        for i, name in enumerate([*NUMERIC, *CATEGORICAL])
    }


def run_sort_lower_bound(ref: pd.DataFrame, cur: pd.DataFrame) -> Verdicts:
    """Not a drift test: sort each numeric current column once, factorize each categorical."""
    for name in NUMERIC:
        np.sort(cur[name].to_numpy())
    for name in CATEGORICAL:
        pd.factorize(cur[name])
    return {}


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Row:
    tool: str
    seconds: float | None = None
    peak_mb: float | None = None
    verdicts: Verdicts = field(default_factory=dict)
    status: str = ""


def _status_kb(key: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(tool: str, fn: Callable[[], Verdicts], repeat: int) -> Row:
    row = Row(tool)
    best = None
    for attempt in range(repeat):
        gc.collect()
        start_rss = _status_kb("VmRSS")
        can_peak = _reset_peak()
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                verdicts = fn()
        except ImportError as exc:
            row.status = f"not installed ({exc.name or exc})"
            return row
        except Exception as exc:  # a peer failing is a result, not a crash
            row.status = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
            return row
        elapsed = time.perf_counter() - started
        peak = _status_kb("VmHWM")
        if attempt == 0 and can_peak and peak is not None and start_rss is not None:
            row.peak_mb = max(peak - start_rss, 0) / 1024
        best = elapsed if best is None else min(best, elapsed)
        row.verdicts = verdicts
    row.seconds = best
    return row


def mismatches(verdicts: Verdicts, baseline: Verdicts, *, own: bool = False) -> int | None:
    if not verdicts or not baseline:
        return None
    count = 0
    for name, (p, native) in verdicts.items():
        mine = native if own or p is None else p < bonferroni()
        count += mine != baseline[name][1]
    return count


def truth_mismatches(verdicts: Verdicts) -> int | None:
    if not verdicts:
        return None
    return sum(
        ((p < bonferroni()) if p is not None else native) != (name in DRIFTED)
        for name, (p, native) in verdicts.items()
    )


def run_size(rows: int, tools: list[str], repeat: int) -> tuple[list[Row], float]:
    reference = make_batch(rows, drifted=False, seed=1)
    current = make_batch(rows, drifted=True, seed=2)
    started = time.perf_counter()
    profile = build_profile(reference, FEATURES)
    build_seconds = time.perf_counter() - started
    candidates: dict[str, Callable[[], Verdicts]] = {
        "sort every column once (lower bound)": lambda: run_sort_lower_bound(reference, current),
        "scipy loop (ks_2samp + chi2_contingency)": lambda: run_scipy(reference, current),
        "ours, from raw reference": lambda: run_ours(reference, current),
        "ours, from profile": lambda: run_ours(profile, current),
        "ours, from profile, 1 thread": lambda: run_ours(profile, current, workers=1),
        "ours, from raw reference, 1 thread": lambda: run_ours(reference, current, workers=1),
        "nannyml": lambda: run_nannyml(reference, current),
        "alibi-detect": lambda: run_alibi(reference, current),
        "evidently": lambda: run_evidently(reference, current),
    }
    keys = {
        "bound": "sort every column once (lower bound)",
        "scipy": "scipy loop (ks_2samp + chi2_contingency)",
        "ours": "ours, from raw reference|ours, from profile|ours, from profile, 1 thread"
        "|ours, from raw reference, 1 thread",
        "nannyml": "nannyml",
        "alibi": "alibi-detect",
        "evidently": "evidently",
    }
    selected = [name for key in tools for name in keys[key].split("|")]
    results = [measure(name, candidates[name], repeat) for name in candidates if name in selected]
    return results, build_seconds


def print_table(rows: int, results: list[Row], build_seconds: float) -> None:
    by_tool = {row.tool: row for row in results}
    baseline = by_tool.get("scipy loop (ks_2samp + chi2_contingency)")
    base_verdicts = baseline.verdicts if baseline else {}
    ours = by_tool.get("ours, from profile")
    ours_seconds = ours.seconds if ours else None
    print(f"\n### {rows:,} rows (reference and current each), 20 numeric + 3 categorical\n")
    print(
        "| tool | wall s | peak MB | mismatches vs scipy | own rule | vs truth | x ours (profile) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in results:
        if row.seconds is None:
            print(f"| {row.tool} | {row.status} | | | | | |")
            continue
        ratio = f"{row.seconds / ours_seconds:.1f}" if ours_seconds else ""
        peak = f"{row.peak_mb:.0f}" if row.peak_mb is not None else "n/a"
        cells = [
            mismatches(row.verdicts, base_verdicts),
            mismatches(row.verdicts, base_verdicts, own=True),
            truth_mismatches(row.verdicts),
        ]
        shown = ["-" if c is None else str(c) for c in cells]
        print(f"| {row.tool} | {row.seconds:.2f} | {peak} | {' | '.join(shown)} | {ratio} |")
    print(f"\nbuilding the profile once (from the reference): {build_seconds:.2f} s")


def versions() -> str:
    names = ["numpy", "pandas", "scipy", "scikit-learn", "evidently", "nannyml", "alibi-detect"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} -")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> None:
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ and argv is None:
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", **NO_TELEMETRY}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument(
        "--tools",
        default="bound,scipy,ours,nannyml,alibi,evidently",
        help="subset of: bound, scipy, ours, nannyml, alibi, evidently",
    )
    parser.add_argument("--repeat", type=int, default=1, help="best of N wall times")
    args = parser.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    print(f"python {sys.version.split()[0]}; {versions()}")
    print(f"drifted features: {', '.join(sorted(DRIFTED))}; alpha {ALPHA} with Bonferroni")
    for rows in (int(r) for r in args.rows.split(",")):
        results, build_seconds = run_size(rows, tools, args.repeat)
        print_table(rows, results, build_seconds)


if __name__ == "__main__":
    main()
