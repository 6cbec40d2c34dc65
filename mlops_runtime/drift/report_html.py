"""A self-contained HTML drift report: verdict table and reference-vs-current histograms."""

from __future__ import annotations

import math
from html import escape

from .report import DriftReport, FeatureResult, Histogram

MAX_BARS = 20
LABEL_WIDTH = 190
BAR_WIDTH = 360
ROW_HEIGHT = 24

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .25rem}
.summary{color:#57606a;margin:0 0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{padding:.3rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.drifted{color:#fff;background:#cf222e;border-radius:3px;padding:0 .4rem}
.stable{color:#fff;background:#1a7f37;border-radius:3px;padding:0 .4rem}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem}
.ref{fill:#8c959f;background:#8c959f}.cur{fill:#0969da;background:#0969da}
svg text{font-size:11px;fill:#1f2328}
.note{color:#9a6700}
.features{display:flex;flex-wrap:wrap;gap:0 2.5rem}
section p{margin:.2rem 0;max-width:600px;color:#57606a}
"""


def render_html(report: DriftReport, *, title: str = "Drift report") -> str:
    """The report as one HTML page (inline CSS and SVG, no scripts); all text is escaped."""
    drifted = len(report.drifted_features)
    total = len(report.features)
    summary = (
        f"{drifted} of {total} features drifted (overall score {report.overall_score:.3f}) · "
        f"reference: {report.reference_kind}, {report.rows_reference:,} rows · "
        f"current: {report.source}, {report.rows_current:,} rows · "
        f"multiple-testing correction: {report.correction}"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="summary">{escape(summary)}</p>',
        _verdict_table(report),
        '<p class="legend"><span class="ref"></span>reference<span class="cur"></span>current</p>',
    ]
    parts.append('<div class="features">')
    parts += [_feature_section(i, result) for i, result in enumerate(report.features.values())]
    parts.append("</div></body></html>")
    return "\n".join(parts)


def _verdict_table(report: DriftReport) -> str:
    head = (
        "<tr><th>Feature</th><th>Kind</th><th>Method</th><th>Statistic</th><th>p-value</th>"
        "<th>Threshold</th><th>PSI</th><th>Missing (current)</th><th>Verdict</th></tr>"
    )
    rows = []
    for i, r in enumerate(report.features.values()):
        missing = r.missing_current / max(r.rows_current + r.missing_current, 1)
        rows.append(
            "<tr>"
            f'<td><a href="#feature-{i}">{escape(r.name)}</a></td>'
            f"<td>{escape(r.kind)}</td><td>{escape(r.method)}</td>"
            f'<td class="num">{_fmt(r.statistic)}</td>'
            f'<td class="num">{_fmt(r.p_value)}</td>'
            f'<td class="num">{_fmt(r.threshold)}</td>'
            f'<td class="num">{_fmt(r.psi)}</td>'
            f'<td class="num">{missing:.1%}</td>'
            f"<td>{_badge(r)}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _feature_section(index: int, result: FeatureResult) -> str:
    lines = [
        f'<section id="feature-{index}"><h2>{escape(result.name)} {_badge(result)}</h2>',
        f"<p>{escape(result.kind)} · {escape(result.method)} = {_fmt(result.statistic)}"
        + (f" · p = {_fmt(result.p_value)}" if result.p_value is not None else "")
        + f" · threshold {_fmt(result.threshold)} · PSI {_fmt(result.psi)}</p>",
        _histogram_svg(result.histogram),
    ]
    if result.unseen:
        shown = ", ".join(f"{escape(k)} ({v:,})" for k, v in result.unseen.items())
        lines.append(f"<p>Categories not in the reference: {shown}</p>")
    if result.error_bound is not None:
        lines.append(
            f"<p>KS on the reference sketch: exact statistic is at most "
            f"{result.error_bound:.2g} above the one shown.</p>"
        )
    if result.note:
        lines.append(f'<p class="note">{escape(result.note)}</p>')
    lines.append("</section>")
    return "\n".join(lines)


def _histogram_svg(histogram: Histogram) -> str:
    ref_total = max(sum(histogram.reference), 1)
    cur_total = max(sum(histogram.current), 1)
    rows = [
        (label, ref / ref_total, cur / cur_total)
        for label, ref, cur in zip(
            histogram.labels, histogram.reference, histogram.current, strict=True
        )
    ]
    if len(rows) > MAX_BARS:
        rows.sort(key=lambda row: -max(row[1], row[2]))
        rest = rows[MAX_BARS - 1 :]
        rows = [
            *rows[: MAX_BARS - 1],
            ("(all others)", sum(r[1] for r in rest), sum(r[2] for r in rest)),
        ]
    top = max((max(r[1], r[2]) for r in rows), default=0) or 1.0
    width = LABEL_WIDTH + BAR_WIDTH + 60
    height = ROW_HEIGHT * len(rows) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="reference and current share per bucket">'
    ]
    for i, (label, ref, cur) in enumerate(rows):
        y = i * ROW_HEIGHT + 2
        short = label if len(label) <= 28 else label[:27] + "…"
        out.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        for offset, share, css in ((0, ref, "ref"), (10, cur, "cur")):
            length = BAR_WIDTH * share / top
            out.append(
                f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y + offset + 1}" '
                f'width="{length:.1f}" height="9"><title>{css}: {share:.2%}</title></rect>'
            )
        out.append(
            f'<text x="{LABEL_WIDTH + BAR_WIDTH * max(ref, cur) / top + 4:.1f}" '
            f'y="{y + 15}">{cur:.1%}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _badge(result: FeatureResult) -> str:
    if result.drifted:
        return '<span class="drifted">drifted</span>'
    return '<span class="stable">no drift</span>'


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.3e}"
    return f"{value:.4f}"
