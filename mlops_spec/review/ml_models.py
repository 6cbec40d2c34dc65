"""One model's changes in reviewer words: version, capacity, rollout, gate, approval, training.

Each describer reads both sides of one model and yields rows; the spec paths it speaks for are
listed beside it, and every other changed leaf of the model becomes a plain row
("serving.rollout.termination_wait_minutes 5 -> 10"), so nothing changes silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from mlops_spec.review.change import Context, Loc, MlChange, arrow, dig, leaf_changes, show
from mlops_spec.review.ml_monitors import guarded, monitor_changes
from mlops_spec.review.text import TIMES

Describer = Callable[[Context, str, Any, Any], Iterator[MlChange]]


def _version_words(version: Any) -> str:
    if isinstance(version, dict) and "pinned" in version:
        return f"v{version['pinned']}"
    return "latest approved"


def _version(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "serving", "model_version"), dig(new, "serving", "model_version")
    if b == a or b is None or a is None:
        return
    text = f"model {_version_words(b)} -> {_version_words(a)}"
    if isinstance(a, dict) and not isinstance(b, dict):
        text += " (pinned: Pulumi deploys it at merge)"
    elif isinstance(b, dict) and not isinstance(a, dict):
        text += " (the deploy function rolls out each approved version)"
    path = f"models.{mid}.serving.model_version"
    yield ctx.change("model_version", text, path, mid, production=ctx.production)


def _size(serving: Any) -> tuple[int | None, int | None, str | None]:
    if serving.get("tier") == "batch":
        count = serving.get("instance_count")
        return count, count, serving.get("instance_type")
    scale = serving.get("autoscaling") or {}
    return scale.get("min_instances"), scale.get("max_instances"), serving.get("instance_type")


def _capacity(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "serving") or {}, dig(new, "serving") or {}
    if b.get("tier") != a.get("tier") or a.get("tier") not in ("realtime", "batch"):
        return
    (min_b, max_b, type_b), (min_a, max_a, type_a) = _size(b), _size(a)
    if (min_b, max_b, type_b) == (min_a, max_a, type_a):
        return
    text = f"{min_b} {TIMES} {type_b} -> {min_a} {TIMES} {type_a}"
    if a.get("tier") == "realtime" and max_b != max_a:
        text += f", up to {max_b} -> {max_a}"
    if a.get("tier") == "realtime" and ctx.head.endpoint_owner(mid) == "deploy-function":
        text += " (takes effect at the next approved version)"
    field = "instance_type" if type_b != type_a else "autoscaling.min_instances"
    if a.get("tier") == "batch":
        field = "instance_type" if type_b != type_a else "instance_count"
    shrinks = isinstance(min_b, int) and isinstance(min_a, int) and min_a < min_b
    path = f"models.{mid}.serving.{field}"
    yield ctx.change("capacity", text, path, mid, production=ctx.production, shrinks=shrinks)


def _rollout(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "serving", "rollout"), dig(new, "serving", "rollout")
    if not (isinstance(b, dict) and isinstance(a, dict)) or b == a:
        return
    path = f"models.{mid}.serving.rollout"
    if (b.get("strategy"), b.get("traffic_percent")) != (
        a.get("strategy"),
        a.get("traffic_percent"),
    ):
        after = _steps(a)
        if b.get("strategy") == a.get("strategy") != "all_at_once":  # "canary 10% -> 25%"
            after = after.removeprefix(f"{a.get('strategy')} ")
        text = f"{_steps(b)} -> {after}"
        attrs = {"production": ctx.production, "new": a.get("strategy")}
        yield ctx.change("rollout_strategy", text, f"{path}.traffic_percent", mid, **attrs)
    if b.get("bake_minutes") != a.get("bake_minutes"):
        text = f"bake {arrow(b.get('bake_minutes'), a.get('bake_minutes'))} min between steps"
        yield ctx.change("rollout_bake", text, f"{path}.bake_minutes", mid)
    if b.get("auto_rollback") != a.get("auto_rollback"):
        text = f"auto-rollback {arrow(b.get('auto_rollback'), a.get('auto_rollback'))}"
        attrs = {
            "production": ctx.production,
            "realtime": True,
            "guard_before": guarded(old),
            "guard_after": guarded(new),
        }
        yield ctx.change("auto_rollback", text, f"{path}.auto_rollback", mid, **attrs)


def _steps(rollout: dict[str, Any]) -> str:
    strategy = str(rollout.get("strategy"))
    if strategy == "all_at_once":
        return "all at once"
    return f"{strategy} {show(rollout.get('traffic_percent'))}%"


def _capture(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "serving", "data_capture_percent"), dig(new, "serving", "data_capture_percent")
    if b == a or b is None or a is None:
        return
    drift = [m for m in (dig(new, "monitors") or {}).values() if m.get("type") in _CAPTURE_READERS]
    text = f"data capture {arrow(b, a, '%')}"
    path = f"models.{mid}.serving.data_capture_percent"
    yield ctx.change("data_capture", text, path, mid, new=a, drift_monitors=len(drift))


_CAPTURE_READERS = ("data_drift", "prediction_drift", "model_quality", "bias")


def _serving_shape(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "serving"), dig(new, "serving")
    path = f"models.{mid}.serving"
    if b and not a:
        yield ctx.change("serving_removed", f"serving removed ({b.get('tier')})", path, mid)
    elif a and not b:
        yield ctx.change("serving_added", f"serving added ({a.get('tier')})", path, mid)
    elif a and b and a.get("tier") != b.get("tier"):
        attrs: dict[str, Any] = {"production": ctx.production}
        if b.get("tier") == "realtime" and a.get("tier") == "serverless":
            attrs.update(realtime=True, guard_before=guarded(old), guard_after=guarded(new))
        text = f"serving {b.get('tier')} -> {a.get('tier')} ({serving_words(a)})"
        yield ctx.change("tier", text, f"{path}.tier", mid, **attrs)


def serving_words(serving: dict[str, Any]) -> str:
    """A serving block in a few words ("2-6 x ml.c5.large", "4096 MB, up to 20 at once")."""
    tier = serving.get("tier")
    if tier == "realtime":
        low, high, kind = _size(serving)
        return f"{low}{'' if high == low else f'-{high}'} {TIMES} {kind}"
    if tier == "serverless":
        return f"{serving.get('memory_mb')} MB, up to {serving.get('max_concurrency')} at once"
    return f"{serving.get('instance_count')} {TIMES} {serving.get('instance_type')}, {serving.get('schedule')}"


def _gate_words(gate: Any) -> str:
    if not isinstance(gate, dict):
        return "none"
    bounds = []
    if gate.get("min") is not None:
        bounds.append(f"≥ {show(gate['min'])}")
    if gate.get("max") is not None:
        bounds.append(f"≤ {show(gate['max'])}")
    return f"{gate.get('metric')} {' and '.join(bounds)}".strip()


def _gate(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "training", "gate"), dig(new, "training", "gate")
    if b == a:
        return
    path = f"models.{mid}.training.gate"
    weaker = _gate_weaker(b, a)
    if (
        b is None
        or a is None
        or b.get("metric") != a.get("metric")
        or _gate_words(b) != _gate_words(a)
    ):
        word = "" if weaker is None else (": weaker" if weaker else ": stronger")
        after = _gate_words(a)
        if b and a and b.get("metric") == a.get("metric"):  # "gate auc ≥ 0.78 -> ≥ 0.7"
            after = after.removeprefix(f"{a.get('metric')} ")
        text = f"gate {_gate_words(b)} -> {after}{word}"
        yield ctx.change("gate", text, path, mid, weaker=weaker)
    if b and a and b.get("must_beat_champion_by") != a.get("must_beat_champion_by"):
        by_b, by_a = b.get("must_beat_champion_by") or 0, a.get("must_beat_champion_by") or 0
        word = ": weaker" if by_a < by_b else ": stronger"
        text = f"gate must beat the champion by {arrow(by_b, by_a)}{word}"
        yield ctx.change("gate", text, f"{path}.must_beat_champion_by", mid, weaker=by_a < by_b)


def _gate_weaker(old: Any, new: Any) -> bool | None:
    """True when fewer candidates can fail the new gate; None when they cannot be compared."""
    if old is None:
        return False
    if new is None:
        return True
    if old.get("metric") != new.get("metric"):
        return None
    for bound, looser in (("min", lambda b, a: a < b), ("max", lambda b, a: a > b)):
        b, a = old.get(bound), new.get(bound)
        if b is not None and (a is None or looser(b, a)):
            return True
    return False


def _approval(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "registry", "approval"), dig(new, "registry", "approval")
    if b != a and b and a:
        path = f"models.{mid}.registry.approval"
        attrs = {"production": ctx.production, "old": b, "new": a}
        yield ctx.change("approval", f"approval {b} -> {a}", path, mid, **attrs)
    accounts_b = set(dig(old, "registry", "cross_account_read_accounts") or ())
    accounts_a = set(dig(new, "registry", "cross_account_read_accounts") or ())
    if accounts_a != accounts_b:
        added, removed = sorted(accounts_a - accounts_b), sorted(accounts_b - accounts_a)
        text = "registry readable by " + "; ".join(
            part
            for part in (
                f"+{', '.join(added)}" if added else "",
                f"-{', '.join(removed)}" if removed else "",
            )
            if part
        )
        path = f"models.{mid}.registry.cross_account_read_accounts"
        yield ctx.change("cross_account", text, path, mid, added=bool(added))


def _image(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "training", "image"), dig(new, "training", "image")
    if b == a or not b or not a:
        return
    repo_b, _, tag_b = b.rpartition("/")[2].partition(":")
    repo_a, _, tag_a = a.rpartition("/")[2].partition(":")
    same = b.rpartition("/")[0] == a.rpartition("/")[0] and repo_b == repo_a and tag_b and tag_a
    text = (
        f"training image {repo_b}:{tag_b} -> {tag_a}" if same else f"training image {arrow(b, a)}"
    )
    yield ctx.change("training_image", text, f"models.{mid}.training.image", mid)


def _hyperparameters(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = (
        dig(old, "training", "hyperparameters") or {},
        dig(new, "training", "hyperparameters") or {},
    )
    for name in sorted(set(b) | set(a)):
        if b.get(name) != a.get(name):
            text = f"hyperparameter {name} {arrow(b.get(name), a.get(name))}"
            path = f"models.{mid}.training.hyperparameters.{name}"
            yield ctx.change("hyperparameter", text, path, mid)


def _training(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "training") or {}, dig(new, "training") or {}
    path = f"models.{mid}.training"
    size = ("instance_count", "instance_type", "spot")
    if any(b.get(k) != a.get(k) for k in size):
        text = f"training on {_training_size(b)} -> {_training_size(a)}"
        yield ctx.change("training_size", text, f"{path}.instance_type", mid)
    if b.get("schedule") != a.get("schedule"):
        text = f"training schedule {arrow(b.get('schedule'), a.get('schedule'))}"
        yield ctx.change("training_schedule", text, f"{path}.schedule", mid)
    if b.get("inputs") != a.get("inputs"):
        text = f"training data {arrow(b.get('inputs'), a.get('inputs'))}"
        yield ctx.change("training_inputs", text, f"{path}.inputs", mid)


def _training_size(training: dict[str, Any]) -> str:
    spot = " spot" if training.get("spot") else ""
    return f"{training.get('instance_count')} {TIMES} {training.get('instance_type')}{spot}"


def _retraining(ctx: Context, mid: str, old: Any, new: Any) -> Iterator[MlChange]:
    b, a = dig(old, "retraining") or {}, dig(new, "retraining") or {}
    path = f"models.{mid}.retraining"
    if b.get("cooldown_hours") != a.get("cooldown_hours"):
        text = (
            f"retraining cooldown {arrow(b.get('cooldown_hours'), a.get('cooldown_hours'), ' h')}"
        )
        yield ctx.change("retraining", text, f"{path}.cooldown_hours", mid)
    if b.get("max_runs_per_day") != a.get("max_runs_per_day"):
        runs = arrow(b.get("max_runs_per_day"), a.get("max_runs_per_day"))
        yield ctx.change(
            "retraining", f"at most {runs} retraining runs a day", f"{path}.max_runs_per_day", mid
        )


# Each describer and the model paths it speaks for (prefixes, relative to models.<id>).
DESCRIBERS: tuple[tuple[Describer, tuple[Loc, ...]], ...] = (
    (_serving_shape, (("serving", "tier"),)),
    (_version, (("serving", "model_version"),)),
    (_capacity, (("serving", "instance_type"), ("serving", "autoscaling", "min_instances"),
                 ("serving", "autoscaling", "max_instances"), ("serving", "instance_count"))),
    (_rollout, (("serving", "rollout", "strategy"), ("serving", "rollout", "traffic_percent"),
                ("serving", "rollout", "bake_minutes"), ("serving", "rollout", "auto_rollback"))),
    (_capture, (("serving", "data_capture_percent"),)),
    (_gate, (("training", "gate"),)),
    (_approval, (("registry",),)),
    (_image, (("training", "image"),)),
    (_hyperparameters, (("training", "hyperparameters"),)),
    (_training, (("training", "instance_count"), ("training", "instance_type"),
                 ("training", "spot"), ("training", "schedule"), ("training", "inputs"))),
    (_retraining, (("retraining",),)),
    (monitor_changes, (("monitors",),)),
)  # fmt: skip


def model_changes(ctx: Context, mid: str, old: Any, new: Any) -> list[MlChange]:
    """Every row for a model present on both sides."""
    rows: list[MlChange] = []
    covered: list[Loc] = []
    serving_shape_changed = dig(old, "serving", "tier") != dig(new, "serving", "tier")
    for describe, prefixes in DESCRIBERS:
        rows.extend(describe(ctx, mid, old, new))
        covered.extend(prefixes)
    if serving_shape_changed:  # one row says it; the serving block's leaves are not repeated
        covered.append(("serving",))
        rows = [
            r for r in rows if not r.path.startswith(f"models.{mid}.serving.") or r.kind == "tier"
        ]
    for loc, (b, a) in leaf_changes(old, new).items():
        if not any(loc[: len(prefix)] == prefix for prefix in covered):
            path = ".".join(map(str, loc))
            rows.append(ctx.change("setting", f"{path} {arrow(b, a)}", f"models.{mid}.{path}", mid))
    return _once(_once(rows, "guard_before", "guard_after"), "retrain_before", "retrain_after")


_GUARD_ORDER = ("tier", "auto_rollback")


def _once(rows: list[MlChange], before: str, after: str) -> list[MlChange]:
    """A loss of the model's automatic rollback (or retraining) told by one row: the tier or
    auto_rollback row if there is one, else the first monitor row; the others keep their own
    facts without the model-level ones."""
    lost = [r for r in rows if r.attrs.get(before) and not r.attrs.get(after)]
    if len(lost) < 2:
        return rows
    keep = min(lost, key=lambda r: (*_GUARD_ORDER, r.kind).index(r.kind))
    return [
        r
        if r is keep or r not in lost
        else replace(r, attrs={k: v for k, v in r.attrs.items() if k not in (before, after)})
        for r in rows
    ]
