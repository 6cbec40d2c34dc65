"""Monitor changes in reviewer words: added, removed, thresholds with their direction, actions.

"feature-drift PSI 0.2 -> 0.3: less sensitive" needs to know which way each threshold points:
raising a latency limit alarms later, raising a quality minimum alarms sooner, and for KS and
chi-square drift the threshold is a significance level, so raising it alarms sooner.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlops_spec.review.change import Context, MlChange, arrow, dig, leaf_changes, show

Monitor = Mapping[str, Any]

_METHODS = {"psi": "PSI", "ks": "KS", "chi2": "chi²", "classifier": "classifier AUC"}
_LESS_IF_RAISED = {"psi": 1, "classifier": 1, "ks": -1, "chi2": -1}


def guarded(model: Any) -> bool:
    """The model's endpoint rolls back on its own: real-time, auto_rollback on, and at least
    one monitor with action rollback."""
    serving = dig(model, "serving") or {}
    return bool(
        serving.get("tier") == "realtime"
        and dig(serving, "rollout", "auto_rollback") is not False
        and any(m.get("action") == "rollback" for m in (dig(model, "monitors") or {}).values())
    )


def retrain_monitors(model: Any) -> int:
    return sum(m.get("action") == "retrain" for m in (dig(model, "monitors") or {}).values())


def _thresholds(monitor: Monitor) -> dict[str, tuple[str, str, int, str]]:
    """Field -> (label in a change row, label in a summary with its comparison, +1 if raising
    the value makes the monitor less sensitive else -1, unit)."""
    kind, method = monitor.get("type"), str(monitor.get("method", "psi"))
    name = _METHODS.get(method, method)
    direction = _LESS_IF_RAISED.get(method, 1)
    drift = (
        (name, f"{name} >", direction, "")
        if direction > 0
        else (f"{name} p-value", f"{name} p-value <", direction, "")
    )
    metric = str(monitor.get("metric", ""))
    percentile = monitor.get("percentile", "p99")
    return {
        "latency": {"threshold_ms": (f"{percentile} latency", f"{percentile} latency >", 1, " ms")},
        "error_rate": {"threshold_percent": ("error rate", "error rate >", 1, "%")},
        "invocations": {
            "min": ("traffic minimum", "traffic <", -1, ""),
            "max": ("traffic maximum", "traffic >", 1, ""),
        },
        "resource": {
            "threshold_percent": (
                f"{monitor.get('resource')} use",
                f"{monitor.get('resource')} >",
                1,
                "%",
            )
        },
        "data_drift": {
            "threshold": drift,
            "max_drifted_share": ("drifted share", "drifted share >", 1, ""),
        },
        "prediction_drift": {
            "threshold": (f"prediction {drift[0]}", f"prediction {drift[1]}", drift[2], "")
        },
        "model_quality": {
            "min": (f"{metric} minimum", f"{metric} <", -1, ""),
            "max": (f"{metric} maximum", f"{metric} >", 1, ""),
        },
        "bias": {
            "max_demographic_parity_difference": ("parity difference", "parity difference >", 1, "")
        },
    }.get(str(kind), {})


def words(monitor: Monitor) -> str:
    """When a monitor alarms, in a few words ("p99 latency > 250 ms")."""
    parts = [
        f"{label} {show(monitor.get(name))}{unit}"
        for name, (_, label, _, unit) in _thresholds(monitor).items()
        if monitor.get(name) not in (None, 0)
    ]
    return ", ".join(parts) or str(monitor.get("type"))


def summary(monitor: Monitor) -> str:
    """What a monitor watches and does ("p99 latency > 250 ms -> rollback")."""
    return f"{words(monitor)} -> {monitor.get('action', 'notify')}"


def monitor_changes(ctx: Context, model_id: str, old: Any, new: Any) -> Iterator[MlChange]:
    """Rows for every monitor of one model that was added, removed or changed."""
    before, after = dig(old, "monitors") or {}, dig(new, "monitors") or {}
    facts = _model_facts(ctx, old, new)
    for mid in sorted(set(before) | set(after)):
        path = f"models.{model_id}.monitors.{mid}"
        b, a = before.get(mid), after.get(mid)
        if b == a:
            continue
        if a is None:
            assert b is not None
            attrs = _touched(facts, b, None)
            text = f"monitor {mid} removed ({summary(b)})"
            yield ctx.change("monitor_removed", text, path, model_id, **attrs)
        elif b is None:
            yield ctx.change("monitor_added", f"monitor {mid} added ({summary(a)})", path, model_id)
        elif b.get("type") != a.get("type"):
            text = f"monitor {mid} {b.get('type')} -> {a.get('type')} ({summary(a)})"
            yield ctx.change("monitor_type", text, path, model_id, **_touched(facts, b, a))
        else:
            yield from _changed(ctx, model_id, mid, b, a, facts)


def _model_facts(ctx: Context, old: Any, new: Any) -> dict[str, Any]:
    return {
        "production": ctx.production,
        "realtime": dig(old, "serving", "tier") == "realtime",
        "guard_before": guarded(old),
        "guard_after": guarded(new),
        "retrain_before": retrain_monitors(old),
        "retrain_after": retrain_monitors(new),
    }


def _touched(facts: dict[str, Any], old: Monitor, new: Monitor | None) -> dict[str, Any]:
    """The model facts a row carries: guard facts only when it touches a rollback monitor,
    retraining facts only when it touches a retrain monitor."""
    attrs: dict[str, Any] = {"production": facts["production"], "action": old.get("action")}
    new_action = new.get("action") if new else None
    if old.get("action") == "rollback" and new_action != "rollback":
        attrs.update(
            realtime=facts["realtime"],
            guard_before=facts["guard_before"],
            guard_after=facts["guard_after"],
        )
    if old.get("action") == "retrain" and new_action != "retrain":
        attrs.update(retrain_before=facts["retrain_before"], retrain_after=facts["retrain_after"])
    return attrs


def _changed(
    ctx: Context, model_id: str, mid: str, old: Monitor, new: Monitor, facts: dict[str, Any]
) -> Iterator[MlChange]:
    path = f"models.{model_id}.monitors.{mid}"
    handled = {"action", "periods", "datapoints_to_alarm"}
    if old.get("action") != new.get("action"):
        text = f"{mid} action {old.get('action')} -> {new.get('action')}"
        yield ctx.change(
            "monitor_action", text, f"{path}.action", model_id, **_touched(facts, old, new)
        )
    for name, (label, _, less_if_raised, unit) in _thresholds(new).items():
        handled.add(name)
        b, a = old.get(name), new.get(name)
        if b == a:
            continue
        less = None
        if isinstance(b, int | float) and isinstance(a, int | float):
            less = (a > b) == (less_if_raised > 0)
        direction = "" if less is None else (": less sensitive" if less else ": more sensitive")
        text = f"{mid} {label} {arrow(b, a, unit)}{direction}"
        attrs = {"production": facts["production"], "less_sensitive": bool(less)}
        yield ctx.change("monitor_threshold", text, f"{path}.{name}", model_id, **attrs)
    yield from _window(ctx, model_id, mid, old, new, facts["production"])
    for loc, (b, a) in leaf_changes(old, new).items():
        if loc[0] not in handled:
            text = f"{mid} {'.'.join(map(str, loc))} {arrow(b, a)}"
            yield ctx.change("monitor_setting", text, f"{path}.{loc[0]}", model_id)


def _window(
    ctx: Context, model_id: str, mid: str, old: Monitor, new: Monitor, production: bool
) -> Iterator[MlChange]:
    """ "alarms after M of N periods": more breaching periods needed means later alarms."""
    m_old = old.get("datapoints_to_alarm") or old.get("periods")
    m_new = new.get("datapoints_to_alarm") or new.get("periods")
    n_old, n_new = old.get("periods"), new.get("periods")
    if (m_old, n_old) == (m_new, n_new):
        return
    less = isinstance(m_old, int) and isinstance(m_new, int) and m_new > m_old
    more = isinstance(m_old, int) and isinstance(m_new, int) and m_new < m_old
    direction = ": less sensitive" if less else ": more sensitive" if more else ""
    text = f"{mid} alarms after {m_old} of {n_old} -> {m_new} of {n_new} periods{direction}"
    path = f"models.{model_id}.monitors.{mid}.periods"
    yield ctx.change(
        "monitor_window", text, path, model_id, production=production, less_sensitive=less
    )
