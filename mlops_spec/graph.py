"""A Mermaid picture of one stack's ML system, drawn from its resolved spec.

Data sources -> training pipeline -> gate -> registry -> endpoint or batch scorer -> monitors
-(alarm)-> actions: notify, the retraining trigger (which starts training again) and the
endpoint's auto-rollback. A review highlights what changed (``changed``) and what is dangerous
(``danger``) by node key (:func:`node_for` maps a spec path to one), and draws removed monitors
dashed.

GitHub renders Mermaid with limits: at most 500 edges and 50,000 characters per diagram, no
click handlers or icons (none are used). A large system is drawn with each model's monitors
as one node, then with only the highlighted models; past that, :func:`render` says why there is
no picture instead of emitting one GitHub would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MonitorWords = Callable[[Mapping[str, Any]], str]
MAX_EDGES = 500
MAX_CHARS = 50_000
CLASSES = {
    "changed": "fill:#fff4c2,stroke:#9a6700,stroke-width:2px",
    "danger": "fill:#ffebe9,stroke:#cf222e,stroke-width:3px",
    "removed": "fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:4 3,color:#57606a",
    "off": "fill:#f6f8fa,stroke:#8c959f,color:#57606a",
}
_RANK = {"changed": 1, "removed": 1.5, "danger": 2}
TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign and en dash, in labels
SHAPES = {
    "box": ("[", "]"),
    "pipeline": ("[[", "]]"),
    "store": ("[(", ")]"),
    "decision": ("{", "}"),
    "action": ("{{", "}}"),
    "channel": ("([", "])"),
    "monitor": ("[/", "/]"),
}
_SCHEDULED = ("data_drift", "prediction_drift", "model_quality", "bias")


def node_for(path: str) -> str | None:
    """The picture's node for a spec path (``models.m.monitors.p99`` -> ``model:m:monitor:p99``),
    None for what the picture does not show (the system, the mode)."""
    parts = path.split(".")
    if parts[0] == "models" and len(parts) >= 2:
        model = parts[1]
        section = parts[2] if len(parts) > 2 else "training"
        if section == "monitors" and len(parts) > 3:
            return f"model:{model}:monitor:{parts[3]}"
        if section == "training":
            return f"model:{model}:gate" if "gate" in parts[3:4] else f"model:{model}:training"
        if section == "serving" and parts[3:5] == ["rollout", "auto_rollback"]:
            return f"model:{model}:rollback"
        if section == "retraining":
            return "action:retrain"
        return f"model:{model}:{section}" if section in ("registry", "serving") else None
    if parts[0] == "data_sources" and len(parts) >= 2:
        return f"source:{parts[1]}"
    if parts[0] == "notifications" or path == "environment.alarm_actions_enabled":
        return "action:notify"
    return None


@dataclass
class _Chart:
    """Nodes, edges and subgraphs of one flowchart, with stable Mermaid ids."""

    ids: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, str] = field(default_factory=dict)  # key -> node text
    groups: dict[str, list[str]] = field(default_factory=dict)  # subgraph label -> keys
    edges: list[str] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)

    def id(self, key: str) -> str:
        if key not in self.ids:
            base = "n_" + re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")
            name, index = base, 2
            while name in self.ids.values():
                name, index = f"{base}_{index}", index + 1
            self.ids[key] = name
        return self.ids[key]

    def node(self, key: str, label: str, shape: str = "box", group: str | None = None) -> None:
        opening, closing = SHAPES[shape]
        self.nodes[key] = f'{self.id(key)}{opening}"{label}"{closing}'
        if group is not None:
            self.groups.setdefault(group, []).append(key)

    def edge(self, a: str, b: str, label: str | None = None, dotted: bool = False) -> None:
        arrow = "-.->" if dotted else "-->"
        text = f"|{label}|" if label else ""
        self.edges.append(f"{self.id(a)} {arrow}{text} {self.id(b)}")

    def mark(self, key: str, cls: str) -> None:
        if key in self.nodes and _RANK.get(cls, 0) >= _RANK.get(self.classes.get(key, ""), 0):
            self.classes[key] = cls

    def text(self, title: str | None) -> str:
        lines = ["flowchart LR"]
        if title:
            lines.insert(0, f"---\ntitle: {esc(title)}\n---")
        grouped = {k for keys in self.groups.values() for k in keys}
        lines += [f"  {self.nodes[k]}" for k in self.nodes if k not in grouped]
        for index, (label, keys) in enumerate(self.groups.items()):
            lines.append(f'  subgraph g{index}["{esc(label)}"]')
            lines += [f"    {self.nodes[k]}" for k in keys]
            lines.append("  end")
        lines += [f"  {e}" for e in self.edges]
        for cls in CLASSES:
            members = [self.id(k) for k, c in self.classes.items() if c == cls]
            if members:
                lines.append(f"  classDef {cls} {CLASSES[cls]}")
                lines.append(f"  class {','.join(members)} {cls}")
        return "\n".join(lines) + "\n"


def esc(text: Any) -> str:
    """Label text Mermaid reads literally (quotes and angle brackets as entity codes)."""
    return str(text).replace('"', "#quot;").replace("<", "#60;").replace(">", "#62;")


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


@dataclass(frozen=True)
class Picture:
    """A flowchart (``text``), or why there is none (``note``), and how it was drawn."""

    text: str | None
    edges: int
    detail: str  # full | monitors grouped | highlighted models only | none
    note: str | None = None


def render(
    spec: Mapping[str, Any],
    environment: Mapping[str, Any],
    highlight: Mapping[str, str] | None = None,
    removed: Iterable[tuple[str, str, str]] = (),
    title: str | None = None,
    monitor_words: MonitorWords | None = None,
) -> Picture:
    """The flowchart of a resolved spec (JSON form) and its environment policy.

    ``highlight`` maps node keys to ``changed`` or ``danger``; ``removed`` lists monitors that
    the change removes as (model, monitor id, action), drawn dashed; ``monitor_words`` labels a
    monitor (default: its type).
    """
    highlight = dict(highlight or {})
    removed = list(removed)
    monitor_words = monitor_words or type_words
    models = list((spec.get("models") or {}).keys())
    focus = sorted({k.split(":")[1] for k in highlight if k.startswith("model:")})
    attempts = [("full", models, False), ("monitors grouped", models, True)]
    if focus and focus != models:
        attempts.append(("highlighted models only", focus, True))
    for detail, shown, grouped in attempts:
        chart = _draw(spec, environment, shown, grouped, highlight, removed, monitor_words)
        text = chart.text(title)
        if len(chart.edges) <= MAX_EDGES and len(text) <= MAX_CHARS:
            return Picture(text, len(chart.edges), detail)
    reason = f"too large for GitHub's Mermaid limits ({MAX_EDGES} edges, {MAX_CHARS} characters)"
    return Picture(None, len(chart.edges), "none", note=f"no picture: {reason}")


def _draw(
    spec: Mapping[str, Any],
    environment: Mapping[str, Any],
    models: list[str],
    grouped: bool,
    highlight: Mapping[str, str],
    removed: list[tuple[str, str, str]],
    words: MonitorWords,
) -> _Chart:
    chart = _Chart()
    _actions(chart, spec, environment)
    sources = spec.get("data_sources") or {}
    used = set()
    for mid in models:
        model = (spec.get("models") or {})[mid]
        used |= _model(chart, mid, model, sources, grouped, words)
        gone = [(mon, action) for m, mon, action in removed if m == mid]
        _removed_monitors(chart, mid, gone, grouped)
    for sid in sources:
        if sid in used:
            _source(chart, sid, sources[sid])
    for key, cls in highlight.items():
        if grouped and key.startswith("model:") and ":monitor:" in key:
            key = key.split(":monitor:")[0] + ":monitors"
        chart.mark(key, cls)
    # nodes first (sources, models, actions), in a stable order
    order = [k for k in chart.nodes if k.startswith("source:")]
    order += [k for k in chart.nodes if k.startswith("model:")]
    order += [k for k in chart.nodes if k.startswith("action:")]
    chart.nodes = {k: chart.nodes[k] for k in order}
    return chart


def _actions(chart: _Chart, spec: Mapping[str, Any], environment: Mapping[str, Any]) -> None:
    notifications = spec.get("notifications") or {}
    channels = len(notifications.get("emails") or ()) + len(
        notifications.get("sns_topic_arns") or ()
    )
    webhook = " + chat" if notifications.get("webhook_url_ssm_parameter") else ""
    paging = environment.get("alarm_actions_enabled", True)
    label = f"notify<br/>{channels} channel{'s' if channels != 1 else ''}{webhook}"
    chart.node("action:notify", label + ("" if paging else "<br/>paging off"), "channel")
    if not paging:
        chart.mark("action:notify", "off")
    chart.node("action:retrain", "retraining trigger<br/>cooldown · daily cap", "action")


def _source(chart: _Chart, sid: str, source: Mapping[str, Any]) -> None:
    features = len(source.get("features") or {})
    kind = "ground truth" if source.get("kind") == "ground_truth" else f"{features} features"
    chart.node(f"source:{sid}", f"{esc(sid)}<br/>{esc(source.get('format', ''))} · {kind}", "store")
    if source.get("retrain_on_new_data"):
        chart.edge(f"source:{sid}", "action:retrain", "new data", dotted=True)


def _model(
    chart: _Chart,
    mid: str,
    model: Mapping[str, Any],
    sources: Mapping[str, Any],
    grouped: bool,
    words: MonitorWords,
) -> set[str]:
    """Draw one model; return the data sources it uses."""
    training = model.get("training") or {}
    key = f"model:{mid}"
    size = f"{training.get('instance_count', 1)} {TIMES} {training.get('instance_type') or 'k8s'}"
    schedule = f"<br/>{esc(training['schedule'])}" if training.get("schedule") else ""
    spot = " spot" if training.get("spot") else ""
    chart.node(
        f"{key}:training", f"training pipeline<br/>{esc(size)}{spot}{schedule}", "pipeline", mid
    )
    used = set(training.get("inputs") or ())
    for sid in training.get("inputs") or ():
        chart.edge(f"source:{sid}", f"{key}:training")
    last = f"{key}:training"
    gate = training.get("gate")
    if gate:
        bound = " ".join(
            f"{sign} {_num(gate[b])}"
            for b, sign in (("min", "≥"), ("max", "≤"))
            if gate.get(b) is not None
        )
        chart.node(f"{key}:gate", f"gate<br/>{esc(gate.get('metric'))} {bound}", "decision", mid)
        chart.edge(last, f"{key}:gate")
        last = f"{key}:gate"
    approval = (model.get("registry") or {}).get("approval", "manual")
    chart.node(f"{key}:registry", f"registry<br/>approval: {esc(approval)}", "store", mid)
    chart.edge(last, f"{key}:registry", "pass" if gate else None)
    serving = model.get("serving")
    if serving:
        used |= _serving(chart, mid, serving, sources)
    if any(m.get("action") == "retrain" for m in (model.get("monitors") or {}).values()) or (
        training.get("schedule")
    ):
        chart.edge("action:retrain", f"{key}:training", "start")
    return used | _monitors(chart, mid, model, grouped, words)


def _serving(
    chart: _Chart, mid: str, serving: Mapping[str, Any], sources: Mapping[str, Any]
) -> set[str]:
    key = f"model:{mid}"
    tier = serving.get("tier")
    version = serving.get("model_version")
    version_text = f"v{version['pinned']}" if isinstance(version, dict) else "latest approved"
    used: set[str] = set()
    if tier == "realtime":
        scale = serving.get("autoscaling") or {}
        rollout = serving.get("rollout") or {}
        steps = (
            "all at once"
            if rollout.get("strategy") == "all_at_once"
            else (f"{rollout.get('strategy')} {_num(rollout.get('traffic_percent'))}%")
        )
        label = (
            f"real-time endpoint<br/>{scale.get('min_instances')}{DASH}{scale.get('max_instances')} {TIMES} "
            f"{esc(serving.get('instance_type'))}<br/>{version_text} · {esc(steps)}"
        )
    elif tier == "serverless":
        label = f"serverless endpoint<br/>{serving.get('memory_mb')} MB<br/>{version_text}"
    else:
        label = (
            f"batch scorer<br/>{serving.get('instance_count')} {TIMES} "
            f"{esc(serving.get('instance_type'))}<br/>{esc(serving.get('schedule'))}"
        )
        source = serving.get("input")
        if isinstance(source, str) and source in sources:
            used.add(source)
            chart.edge(f"source:{source}", f"{key}:serving", "score")
    chart.node(f"{key}:serving", label, "box", mid)
    chart.edge(f"{key}:registry", f"{key}:serving", "deploy")
    return used


def _monitor_label(name: str, monitor: Mapping[str, Any], words: MonitorWords) -> str:
    return f"{esc(name)}<br/>{esc(words(monitor))}"


def type_words(monitor: Mapping[str, Any]) -> str:
    """The default monitor label: its type (the review passes threshold words)."""
    return str(monitor.get("type", "")).replace("_", " ")


def _monitors(
    chart: _Chart, mid: str, model: Mapping[str, Any], grouped: bool, words: MonitorWords
) -> set[str]:
    """Draw a model's monitors (one node each, or one for all); return ground-truth sources."""
    key = f"model:{mid}"
    monitors = model.get("monitors") or {}
    serving = model.get("serving") or {}
    if not monitors:
        return set()
    rollback = [m for m in monitors.values() if m.get("action") == "rollback"]
    if rollback:
        on = (serving.get("rollout") or {}).get("auto_rollback", True)
        chart.node(f"{key}:rollback", "auto-rollback" if on else "auto-rollback off", "action", mid)
        if not on:
            chart.mark(f"{key}:rollback", "off")
        chart.edge(f"{key}:rollback", f"{key}:serving", "roll back", dotted=True)
    if grouped:
        actions = sorted({m.get("action", "notify") for m in monitors.values()})
        counts = ", ".join(
            f"{sum(m.get('action', 'notify') == a for m in monitors.values())} {a}" for a in actions
        )
        chart.node(f"{key}:monitors", f"{len(monitors)} monitors<br/>{counts}", "monitor", mid)
        chart.edge(f"{key}:serving" if serving else f"{key}:registry", f"{key}:monitors")
        _alarm_edges(chart, mid, f"{key}:monitors", set(actions))
        return set()
    used = set()
    for name, monitor in monitors.items():
        node = f"{key}:monitor:{name}"
        chart.node(node, _monitor_label(name, monitor, words), "monitor", mid)
        watched = "capture" if monitor.get("type") in _SCHEDULED else None
        if serving:
            chart.edge(f"{key}:serving", node, watched)
        ground = (monitor.get("ground_truth") or {}).get("data_source")
        if ground:
            used.add(ground)
            chart.edge(f"source:{ground}", node, "labels")
        _alarm_edges(chart, mid, node, {monitor.get("action", "notify")})
    return used


def _alarm_edges(chart: _Chart, mid: str, node: str, actions: set[str]) -> None:
    chart.edge(node, "action:notify", "alarm")
    if "retrain" in actions:
        chart.edge(node, "action:retrain", "alarm")
    if "rollback" in actions:
        chart.edge(node, f"model:{mid}:rollback", "alarm")


def _removed_monitors(chart: _Chart, mid: str, gone: list[tuple[str, str]], grouped: bool) -> None:
    if grouped or not gone:
        return
    for name, action in gone:
        node = f"model:{mid}:monitor:{name}"
        chart.node(node, f"{esc(name)}<br/>removed", "monitor", mid)
        chart.mark(node, "removed")
        target = {"retrain": "action:retrain", "rollback": f"model:{mid}:rollback"}.get(action)
        if target and target not in chart.nodes:  # the last rollback monitor went
            chart.node(target, "auto-rollback<br/>no monitor left", "action", mid)
            chart.mark(target, "removed")
        chart.edge(node, target or "action:notify", f"was {action}", dotted=True)
