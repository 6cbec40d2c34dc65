"""``mlops drift``: build a reference profile, compare current data with it.

Exit codes: 0 ok, 1 drift found (with --fail-on-drift) or bad input (one ``error:`` line per
problem on stderr), 2 usage.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from mlops_runtime.drift.columns import CATEGORICAL, KINDS, infer_features
from mlops_runtime.drift.compare import compare
from mlops_runtime.drift.errors import DriftInputError
from mlops_runtime.drift.io import (
    DEFAULT_CHUNK_ROWS,
    is_profile_path,
    read_frames,
    read_profile,
    read_table,
)
from mlops_runtime.drift.methods import BONFERRONI, CORRECTIONS, METHODS, canonical_method
from mlops_runtime.drift.profile import (
    DEFAULT_BINS,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_SKETCH_SIZE,
    Profile,
    build_profile,
)
from mlops_runtime.drift.report import DriftReport
from mlops_runtime.drift.report_html import render_html
from mlops_runtime.drift.stats import KOLMOGOROV, KS_PVALUES

app = typer.Typer(
    help="Data drift: profile reference data once, then compare current data with it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


FeatureOption = Annotated[
    list[str] | None,
    typer.Option(
        "--feature",
        help="NAME:KIND with KIND numeric|categorical (repeatable). Default: every column, "
        "kind inferred from its dtype (numbers numeric, the rest categorical).",
    ),
]
FeaturesOption = Annotated[
    str | None,
    typer.Option("--features", help="Comma-separated NAME:KIND list (same as --feature)."),
]


@app.command("profile")
def profile_command(
    data: Annotated[Path, typer.Argument(help="Reference data (.parquet, .csv, .jsonl).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Profile JSON to write.")],
    feature: FeatureOption = None,
    features: FeaturesOption = None,
    bins: Annotated[int, typer.Option(min=2, help="PSI bins (reference quantiles).")] = (
        DEFAULT_BINS
    ),
    sketch_size: Annotated[
        int, typer.Option(min=2, help="Quantile sketch points for KS (error <= ~1/N).")
    ] = DEFAULT_SKETCH_SIZE,
    max_categories: Annotated[
        int, typer.Option(min=1, help="Categories kept per feature; the rest are pooled.")
    ] = DEFAULT_MAX_CATEGORIES,
) -> None:
    """Profile reference (training) data into a small JSON file for later comparisons."""
    declared = _parse_features([*(feature or []), *_split(features)], kind_required=True)
    try:
        kinds = {name: kind for name, kind in declared.items() if kind}
        text = [n for n, k in kinds.items() if k == CATEGORICAL]
        frame = read_table(data, columns=list(kinds) or None, text_columns=text)
        profile = build_profile(
            frame,
            kinds or infer_features(frame),
            bins=bins,
            sketch_size=sketch_size,
            max_categories=max_categories,
            source=str(data),
        )
        output.write_text(profile.to_json(), encoding="utf-8")
    except DriftInputError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(DriftInputError(f"cannot write {output}: {exc.strerror or exc}"))
    typer.echo(f"wrote {output}: {len(profile.features)} features, {profile.rows:,} rows")


@app.command("compare")
def compare_command(
    reference: Annotated[
        Path, typer.Argument(help="Reference: a profile (.json) or data (.parquet, .csv, .jsonl).")
    ],
    current: Annotated[Path, typer.Argument(help="Current data (.parquet, .csv, .jsonl).")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Report format.")
    ] = OutputFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here, not stdout.")
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 1 when any feature drifted.")
    ] = False,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method", help=f"FEATURE=METHOD, METHOD one of {', '.join(METHODS)} (repeatable)."
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            help="FEATURE=VALUE or METHOD=VALUE (repeatable); defaults psi 0.2, ks 0.05, "
            "chi2 0.05, classifier 0.75.",
        ),
    ] = None,
    feature: FeatureOption = None,
    correction: Annotated[
        str, typer.Option(help=f"Multiple-testing correction: {' or '.join(CORRECTIONS)}.")
    ] = BONFERRONI,
    ks_pvalue: Annotated[
        str,
        typer.Option(
            help="KS p-value: kolmogorov (asymptotic, fast) or scipy (equal to "
            "ks_2samp(method='asymp'), slow on large data)."
        ),
    ] = KOLMOGOROV,
    chunk_rows: Annotated[
        int, typer.Option(min=1, help="Rows per chunk read from CURRENT.")
    ] = DEFAULT_CHUNK_ROWS,
) -> None:
    """Compare CURRENT data with REFERENCE; report drift per feature."""
    methods = _parse_pairs(method or [], "--method", "FEATURE=METHOD")
    for name, value in methods.items():
        if canonical_method(value) is None:
            raise typer.BadParameter(
                f"{name}={value}: method must be one of {', '.join(METHODS)}", param_hint="--method"
            )
    thresholds = _parse_thresholds(threshold or [])
    declared = _parse_features(feature or [], kind_required=False)
    if correction not in CORRECTIONS:
        raise typer.BadParameter(
            f"{correction!r} is not one of {', '.join(CORRECTIONS)}", param_hint="--correction"
        )
    if ks_pvalue not in KS_PVALUES:
        raise typer.BadParameter(
            f"{ks_pvalue!r} is not one of {', '.join(KS_PVALUES)}", param_hint="--ks-pvalue"
        )
    try:
        report = _run_compare(
            reference,
            current,
            declared,
            methods=methods,
            thresholds=thresholds,
            correction=correction,
            ks_pvalue=ks_pvalue,
            chunk_rows=chunk_rows,
        )
        _emit(report, output_format, output)
    except DriftInputError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(DriftInputError(f"cannot write {output}: {exc.strerror or exc}"))
    if fail_on_drift and report.drifted:
        raise typer.Exit(1)


def _run_compare(
    reference: Path,
    current: Path,
    declared: dict[str, str | None],
    *,
    methods: dict[str, str],
    thresholds: dict[str, float],
    correction: str,
    ks_pvalue: str,
    chunk_rows: int,
) -> DriftReport:
    names = list(declared) or None
    ref: Profile | pd.DataFrame
    if is_profile_path(reference):
        ref = read_profile(reference)
        wrong = [
            f"--feature {name}:{kind}: {reference} profiles {name!r} as {ref.kinds[name]}"
            for name, kind in declared.items()
            if kind and name in ref.kinds and ref.kinds[name] != kind
        ]
        if wrong:
            raise DriftInputError(wrong)
        kinds = {n: ref.kinds[n] for n in (names or ref.kinds) if n in ref.kinds}
    else:
        text = [n for n, k in declared.items() if k == CATEGORICAL]
        ref = read_table(reference, columns=names, text_columns=text)
        kinds = {**infer_features(ref), **{n: k for n, k in declared.items() if k}}
        kinds = {n: kinds[n] for n in (names or kinds)}
    chunks = read_frames(
        current,
        chunk_rows=chunk_rows,
        columns=list(kinds),
        text_columns=[n for n, k in kinds.items() if k == CATEGORICAL],
    )
    return compare(
        ref,
        chunks,
        methods=methods or None,
        thresholds=thresholds or None,
        features=names,
        kinds=None if isinstance(ref, Profile) else kinds,
        correction=correction,
        ks_pvalue=ks_pvalue,
        reference_source=str(reference),
        current_source=str(current),
    )


def _emit(report: DriftReport, output_format: OutputFormat, output: Path | None) -> None:
    if output_format is OutputFormat.json:
        text = report.to_json() + "\n"
    elif output_format is OutputFormat.html:
        text = render_html(report)
    else:
        text = ""
    if output_format is OutputFormat.text:
        if output is None:
            console = Console(highlight=False, emoji=False)
            if not console.is_terminal:
                console = Console(highlight=False, width=120, emoji=False)
            console.print(_table(report))
            return
        with output.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=120, highlight=False, emoji=False).print(_table(report))
    elif output is None:
        typer.echo(text, nl=False)
        return
    else:
        output.write_text(text, encoding="utf-8")
    drifted = len(report.drifted_features)
    typer.echo(f"wrote {output}: {drifted} of {len(report.features)} features drifted")


def _table(report: DriftReport) -> Table:
    drifted = len(report.drifted_features)
    table = Table(
        title=f"Drift: {drifted} of {len(report.features)} features drifted "
        f"(score {report.overall_score:.3f}, correction {report.correction})",
        title_justify="left",
    )
    for header in ("Feature", "Kind", "Method", "Statistic", "p-value", "Threshold", "PSI"):
        table.add_column(
            header, justify="left" if header in ("Feature", "Kind", "Method") else "right"
        )
    table.add_column("Verdict")
    for r in report.features.values():
        table.add_row(
            r.name,
            r.kind,
            r.method,
            _fmt(r.statistic),
            _fmt(r.p_value),
            _fmt(r.threshold),
            _fmt(r.psi),
            "[bold red]DRIFT[/]" if r.drifted else "[green]ok[/]",
        )
    return table


def _fmt(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    if value == 0:
        return "0"
    return f"{value:.3e}" if abs(value) < 1e-2 else f"{value:.4f}"


def _fail(exc: DriftInputError) -> None:
    for problem in exc.problems:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(1)


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _parse_features(items: list[str], *, kind_required: bool) -> dict[str, str | None]:
    parsed: dict[str, str | None] = {}
    for item in items:
        name, sep, kind = item.rpartition(":") if ":" in item else (item, "", "")
        kind = kind.strip().lower()
        if not name or (sep and kind not in KINDS) or (kind_required and not sep):
            raise typer.BadParameter(
                f"{item!r}: expected NAME:KIND with KIND one of {', '.join(KINDS)}",
                param_hint="--feature",
            )
        parsed[name.strip()] = kind or None
    return parsed


def _parse_pairs(items: list[str], option: str, shape: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(f"{item!r}: expected {shape}", param_hint=option)
        pairs[key.strip()] = value.strip()
    return pairs


def _parse_thresholds(items: list[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for key, value in _parse_pairs(items, "--threshold", "KEY=VALUE").items():
        try:
            values[key] = float(value)
        except ValueError:
            raise typer.BadParameter(
                f"{key}={value}: {value!r} is not a number", param_hint="--threshold"
            ) from None
    return values
