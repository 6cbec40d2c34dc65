"""Changes in ML terms between the facts of two plans of one stack, one row each.

The environment first (mode, paging, protection), then the system, notifications and data
sources, then each model: added, removed, renamed, or its own rows (``ml_models``). Severities
come from ``rules.py``; nothing here judges.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlops_spec.review.change import Context, MlChange, arrow, dig, leaf_changes
from mlops_spec.review.ml_models import model_changes

_ENVIRONMENT = (
    # key, kind, words
    ("mode", "mode", "mode"),
    ("alarm_actions_enabled", "paging", "paging"),
    ("protect", "protect", "protection"),
    ("schedules_enabled", "schedules", "schedules"),
    ("log_retention_days", "retention", "log retention"),
    ("capture_expiration_days", "retention", "captured data kept"),
)


def ml_changes(ctx: Context) -> list[MlChange]:
    """Every ML-level change of one stack, in reading order."""
    rows = list(_environment(ctx))
    rows += _section(ctx, "system", "system")
    rows += _notifications(ctx)
    rows += _data_sources(ctx)
    rows += _models(ctx)
    return rows


def _environment(ctx: Context) -> Iterator[MlChange]:
    before, after = ctx.base.environment, ctx.head.environment
    for key, kind, words in _ENVIRONMENT:
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        unit = " days" if kind == "retention" else ""
        text = f"{words} {arrow(b, a, unit)}"
        production = ctx.production
        if kind == "paging":
            text += f" in {ctx.stack}" + (f" ({ctx.paging_losses})" if ctx.paging_losses else "")
        if kind == "mode":
            production = b == "production"
            text += _mode_losses(ctx) if b == "production" and a == "development" else ""
        if kind == "schedules":
            text = f"schedules {'on' if b else 'paused'} -> {'on' if a else 'paused'}"
        yield ctx.change(
            kind, text, f"environment.{key}", None, production=production, old=b, new=a
        )


def _mode_losses(ctx: Context) -> str:
    parts = []
    if ctx.unprotected:
        parts.append(f"{ctx.unprotected} stateful resources lose protection")
    if ctx.paging_losses:
        parts.append(f"{ctx.paging_losses} stop paging")
    return f" ({', '.join(parts)})" if parts else ""


def _section(ctx: Context, key: str, kind: str) -> Iterator[MlChange]:
    for loc, (b, a) in leaf_changes(ctx.base.spec.get(key), ctx.head.spec.get(key), (key,)).items():
        path = ".".join(map(str, loc))
        yield ctx.change(kind, f"{path} {arrow(b, a)}", path, None)


def _notifications(ctx: Context) -> Iterator[MlChange]:
    before = ctx.base.spec.get("notifications") or {}
    after = ctx.head.spec.get("notifications") or {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        path = f"notifications.{key}"
        if isinstance(b, list | type(None)) and isinstance(a, list | type(None)):
            added, removed = (
                sorted(set(a or ()) - set(b or ())),
                sorted(set(b or ()) - set(a or ())),
            )
            parts = [f"+{x}" for x in added] + [f"-{x}" for x in removed]
            text = f"{key.replace('_', ' ')}: {', '.join(parts)}"
        else:
            added, removed = ([a] if a else []), ([b] if b else [])
            text = f"{key.replace('_', ' ')} {arrow(b, a)}"
        attrs = {"production": ctx.production, "removed": bool(removed), "added": bool(added)}
        yield ctx.change("notifications", text, path, None, **attrs)


def _data_sources(ctx: Context) -> Iterator[MlChange]:
    before = ctx.base.spec.get("data_sources") or {}
    after = ctx.head.spec.get("data_sources") or {}
    for sid in sorted(set(before) | set(after)):
        path = f"data_sources.{sid}"
        if sid not in after:
            yield ctx.change("data_source_removed", f"data source {sid} removed", path, None)
        elif sid not in before:
            yield ctx.change("data_source_added", f"data source {sid} added", path, None)
        else:
            for loc, (b, a) in leaf_changes(before[sid], after[sid]).items():
                field = ".".join(map(str, loc))
                text = f"data source {sid}: {field} {arrow(b, a)}"
                yield ctx.change("data_source", text, f"{path}.{field}", None)


def image_repository(model: Any) -> str | None:
    """The training image without its tag or digest: what a renamed model keeps."""
    image = dig(model, "training", "image")
    if not isinstance(image, str):
        return None
    return image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image


def _models(ctx: Context) -> Iterator[MlChange]:
    before, after = ctx.base.models, ctx.head.models
    removed = [m for m in before if m not in after]
    added = [m for m in after if m not in before]
    renamed: dict[str, tuple[str, bool]] = {}  # new id -> (old id, moved_from given)
    for new in added:
        moved = after[new].get("moved_from")
        if moved in removed and moved not in {old for old, _ in renamed.values()}:
            renamed[new] = (moved, True)
    for new in added:
        if new in renamed:
            continue
        repository = image_repository(after[new])
        for old in removed:
            taken = {o for o, _ in renamed.values()}
            if old not in taken and repository and image_repository(before[old]) == repository:
                renamed[new] = (old, False)
                break
    taken = {old for old, _ in renamed.values()}
    for mid in sorted(set(before) | set(after)):
        path = f"models.{mid}"
        if mid in renamed:
            old, moved = renamed[mid]
            text = f"model {old} renamed to {mid}" + ("" if moved else " without moved_from")
            yield ctx.change("model_renamed", text, path, mid, moved_from=moved)
        elif mid in added:
            yield ctx.change("model_added", f"model {mid} added", path, mid)
        elif mid in removed and mid not in taken:
            yield ctx.change("model_removed", f"model {mid} removed", path, mid)
        elif mid in before and mid in after:
            yield from model_changes(ctx, mid, before[mid], after[mid])


def lifecycle_changes(
    ctx: Context | None,
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    stack: str,
) -> list[MlChange]:
    """Endpoints the deploy function created (``latest_approved``) that this change stops
    managing: removing the model or pinning it leaves them running, and billing."""
    rows = []
    for model, endpoint in sorted(before.items()):
        if endpoint.get("owner") != "deploy-function":
            continue
        if (after.get(model) or {}).get("owner") == "deploy-function":
            continue
        name = endpoint.get("name")
        kept = (e.get("name") for e in after.values() if e.get("owner") == "deploy-function")
        if name in kept:  # a renamed model (moved_from) keeps its endpoint under the new id
            continue
        text = (
            f"endpoint {name} left running, unmanaged "
            f"(`aws sagemaker delete-endpoint --endpoint-name {name}`)"
        )
        path = f"models.{model}"
        line = ctx.line(path) if ctx is not None else None
        rows.append(MlChange("endpoint_left_running", text, path, model, line, {"stack": stack}))
    return rows
