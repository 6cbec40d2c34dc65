"""Compare two plan documents: what a change to the spec or code would add, change and delete.

Resources match by URN. A head resource whose ``aliases`` hold an unmatched base URN is that
resource renamed, not a delete plus a create. Input changes are listed by dotted path
(``productionVariants[0].instanceType``); JSON held in a string input (policies, pipeline
definitions, Lambda configs) is compared structurally, its paths marked ``<json>``
(``policy<json>.Statement[0].Action``). A change replaces its resource when it touches an input
of :mod:`mlops_preview.replacement`'s table (the provider's replace-on-change inputs) or one
named by the resource's own ``replace_on_changes`` option; an in-place change with a side
effect (:data:`mlops_preview.stateful.EFFECTS`) lists it. Danger rules, for the stateful types
of :mod:`mlops_preview.stateful`:

* deleting one (a former endpoint resource whose successor adopts the endpoint by name is
  reported with the state commands that keep the endpoint);
* changing an input that replaces it;
* turning its ``protect`` or ``retain_on_delete`` off.

Documents of different stacks or projects compare by the rest of the URN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mlops_preview.document import PlanDocument, PlannedResource
from mlops_preview.replacement import replaces as replaced_by
from mlops_preview.stateful import (
    ADOPTIONS,
    EFFECTS,
    SAFETY_SETTINGS,
    StatefulType,
    stateful_type,
)
from mlops_preview.urns import ROOT_STACK_TYPE, make_urn

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPTIONS = (
    "parent",
    "protect",
    "retain_on_delete",
    "delete_before_replace",
    "ignore_changes",
    "replace_on_changes",
    "depends_on",
    "provider",
)


@dataclass(frozen=True)
class PropertyChange:
    """One changed value. ``kind`` is ``added``, ``removed`` or ``changed``."""

    path: str
    kind: str
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ResourceChange:
    """A resource in both plans whose inputs or options differ, or which was renamed."""

    urn: str
    type: str
    name: str
    old_urn: str | None
    inputs: tuple[PropertyChange, ...]
    options: tuple[PropertyChange, ...]
    replaces: tuple[str, ...]
    effects: tuple[str, ...] = ()
    """What the in-place update does besides writing the inputs (e.g. re-registering
    autoscaling around an instance-type change)."""

    @property
    def renamed(self) -> bool:
        return self.old_urn is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "old_urn": self.old_urn,
            "type": self.type,
            "name": self.name,
            "inputs": [c.to_dict() for c in self.inputs],
            "options": [c.to_dict() for c in self.options],
            "replaces": list(self.replaces),
            "effects": list(self.effects),
        }


@dataclass(frozen=True)
class Danger:
    """A change that can lose data or serving capacity."""

    urn: str
    type: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"urn": self.urn, "type": self.type, "reason": self.reason}


@dataclass(frozen=True)
class PlanDiff:
    """Differences from ``base`` to ``head``, each list sorted by URN."""

    base: str
    head: str
    added: tuple[PlannedResource, ...]
    removed: tuple[PlannedResource, ...]
    changed: tuple[ResourceChange, ...]
    outputs: tuple[PropertyChange, ...]
    dangers: tuple[Danger, ...]

    @property
    def has_danger(self) -> bool:
        return bool(self.dangers)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.outputs)

    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "replaced": sum(bool(c.replaces) for c in self.changed),
            "renamed": sum(c.renamed for c in self.changed),
            "dangers": len(self.dangers),
        }

    def to_dict(self) -> dict[str, Any]:
        def brief(resource: PlannedResource) -> dict[str, str]:
            return {"urn": resource.urn, "type": resource.type, "name": resource.name}

        return {
            "base": self.base,
            "head": self.head,
            "summary": self.summary(),
            "has_danger": self.has_danger,
            "dangers": [d.to_dict() for d in self.dangers],
            "added": [brief(r) for r in self.added],
            "removed": [brief(r) for r in self.removed],
            "changed": [c.to_dict() for c in self.changed],
            "outputs": [c.to_dict() for c in self.outputs],
        }


def diff_plans(base: PlanDocument, head: PlanDocument) -> PlanDiff:
    """What changes when the deployed ``base`` plan becomes ``head``."""
    prefix = f"urn:pulumi:{head.stack}::{head.project}::"

    def retarget(urn: str) -> str:
        return prefix + urn.split("::", 2)[2] if urn.startswith("urn:pulumi:") else urn

    old = {retarget(r.urn): r for r in base.resources}
    new = {r.urn: r for r in head.resources}
    pairs: list[tuple[PlannedResource, PlannedResource, str | None]] = []
    for urn, after in new.items():
        if urn in old:
            pairs.append((old[urn], after, None))
    matched_old = {urn for urn in new if urn in old}
    added: list[PlannedResource] = []
    for urn, after in new.items():
        if urn in old:
            continue
        alias = next((a for a in after.aliases if a in old and a not in matched_old), None)
        if alias is None:
            added.append(after)
        else:
            matched_old.add(alias)
            pairs.append((old[alias], after, old[alias].urn))
    removed = [r for urn, r in old.items() if urn not in matched_old]

    # A reference to a renamed resource (or to the same resource in another stack) is no change.
    renamed = {retarget(b.urn): h.urn for b, h, old_urn in pairs if old_urn is not None}
    renamed[retarget(_stack_urn(base))] = _stack_urn(head)

    def translate(value: Any) -> Any:
        if isinstance(value, str):
            return (
                renamed.get(retarget(value), retarget(value)) if value.startswith("urn:") else value
            )
        if isinstance(value, dict):
            return {k: translate(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(translate(v) for v in value)
        return value

    protected = {h.urn: b.protect for b, h, _ in pairs}
    changes = (_resource_change(b, h, old_urn, translate) for b, h, old_urn in pairs)
    changed = [c for c in changes if c]
    dangers = [_deletion(r, removed, head) for r in removed if stateful_type(r.type)]
    for change in changed:
        dangers.extend(_change_dangers(change, protected.get(change.urn, False)))
    return PlanDiff(
        base=f"{base.project}/{base.stack}",
        head=f"{head.project}/{head.stack}",
        added=tuple(sorted(added, key=lambda r: r.urn)),
        removed=tuple(sorted(removed, key=lambda r: r.urn)),
        changed=tuple(sorted(changed, key=lambda c: c.urn)),
        outputs=tuple(_changes(base.outputs, head.outputs)),
        dangers=tuple(sorted(dangers, key=lambda d: (d.urn, d.reason))),
    )


def _stack_urn(doc: PlanDocument) -> str:
    return make_urn(doc.stack, doc.project, ROOT_STACK_TYPE, f"{doc.project}-{doc.stack}")


def _resource_change(
    before: PlannedResource,
    after: PlannedResource,
    old_urn: str | None,
    translate: Callable[[Any], Any],
) -> ResourceChange | None:
    inputs = tuple(_changes(translate(before.inputs), after.inputs))
    options = []
    for name in _OPTIONS:
        old_value, new_value = translate(getattr(before, name)), getattr(after, name)
        if name == "depends_on":
            old_set, new_set = set(old_value), set(new_value)
            options += [PropertyChange(name, "removed", urn) for urn in sorted(old_set - new_set)]
            options += [
                PropertyChange(name, "added", None, urn) for urn in sorted(new_set - old_set)
            ]
            continue
        if old_value != new_value:
            options.append(PropertyChange(name, "changed", _plain(old_value), _plain(new_value)))
    if not (inputs or options or old_urn):
        return None
    replaces = tuple(c.path for c in inputs if _forces_replacement(c, after))
    return ResourceChange(
        urn=after.urn,
        type=after.type,
        name=after.name,
        old_urn=old_urn,
        inputs=inputs,
        options=tuple(options),
        replaces=replaces,
        effects=() if replaces else _effects(after.type, inputs, before.inputs, after.inputs),
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _forces_replacement(change: PropertyChange, resource: PlannedResource) -> bool:
    path = change.path
    if replaced_by(resource.type, path, change.old, change.new):
        return True
    return any(
        rule == "*" or path == rule or path.startswith((f"{rule}.", f"{rule}["))
        for rule in resource.replace_on_changes
    )


def _effects(
    type_: str, inputs: tuple[PropertyChange, ...], old: dict[str, Any], new: dict[str, Any]
) -> tuple[str, ...]:
    changed = {c.path for c in inputs}
    return tuple(
        effect.note
        for effect in EFFECTS.get(type_, ())
        if effect.path in changed and (_at(old, effect.when) or _at(new, effect.when))
    )


def _at(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _adopted(
    resource: PlannedResource, removed: list[PlannedResource], head: PlanDocument
) -> Danger | None:
    """A former endpoint resource whose successor in ``head`` adopts the same endpoint."""
    adoption = ADOPTIONS.get(resource.type)
    if adoption is None:
        return None
    name = resource.inputs.get(adoption.name_input)
    heirs = [
        r
        for r in head.find(adoption.successor)
        if name and r.inputs.get(adoption.successor_input) == name
    ]
    if not heirs:
        return None
    companions = sorted(
        (r for r in removed if r.type in adoption.companions and r.parent == resource.parent),
        key=lambda r: (adoption.companions.index(r.type), r.urn),
    )
    commands = "; ".join(f"pulumi state delete '{r.urn}'" for r in companions)
    return Danger(
        resource.urn,
        resource.type,
        f"moves endpoint {name!r} to {heirs[0].name!r}, which adopts it by name; removed "
        "from the program, the old resources would delete it (and its scaling) after the "
        f"adoption: before `pulumi up`, drop them from the state only: {commands}",
    )


def _deletion(
    resource: PlannedResource, removed: list[PlannedResource], head: PlanDocument
) -> Danger:
    adopted = _adopted(resource, removed, head)
    if adopted is not None:
        return adopted
    kind = stateful_type(resource.type)
    assert kind is not None
    reason = f"deletes {kind.description} {resource.name!r} and {kind.holds}"
    if resource.protect:
        reason += " (it is protected: `pulumi up` will refuse until protect is removed)"
    if resource.retain_on_delete:
        reason = (
            f"drops {kind.description} {resource.name!r} from the stack "
            "(retain_on_delete keeps it in AWS, unmanaged)"
        )
    return Danger(resource.urn, resource.type, reason)


def _change_dangers(change: ResourceChange, protected: bool) -> Iterator[Danger]:
    by_path = {c.path: c for c in change.inputs}
    for setting in SAFETY_SETTINGS.get(change.type, ()):
        c = by_path.get(setting.path)
        if c is not None and c.old == setting.safe and c.new != setting.safe:
            yield Danger(
                change.urn,
                change.type,
                f"turns off {setting.path} on {change.name!r}: {setting.consequence}",
            )
    kind: StatefulType | None = stateful_type(change.type)
    if kind is None:
        return
    label = f"{kind.description} {change.name!r}"
    for path in change.replaces:
        c = by_path[path]
        reason = f"replaces {label} (`{path}`: {_short(c.old)} -> {_short(c.new)})"
        if protected:
            reason += (
                f"; it is protected, so `pulumi up` will refuse: to go ahead, migrate "
                f"{kind.holds} and remove protection deliberately"
            )
        else:
            reason += f", losing {kind.holds}"
        yield Danger(change.urn, change.type, reason)
    for option in change.options:
        if option.path in ("protect", "retain_on_delete") and option.old and not option.new:
            yield Danger(change.urn, change.type, f"turns off {option.path} on {label}")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _changes(old: Any, new: Any, path: str = "") -> Iterator[PropertyChange]:
    """Leaf-level differences between two JSON values, as dotted paths."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = _join(path, key)
            if key not in new:
                yield PropertyChange(sub, "removed", old[key], None)
            elif key not in old:
                yield PropertyChange(sub, "added", None, new[key])
            else:
                yield from _changes(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            sub = f"{path}[{index}]"
            if index >= len(new):
                yield PropertyChange(sub, "removed", old[index], None)
            elif index >= len(old):
                yield PropertyChange(sub, "added", None, new[index])
            else:
                yield from _changes(old[index], new[index], sub)
    elif (
        isinstance(old, str)
        and isinstance(new, str)
        and old != new
        and ((parsed := _json_pair(old, new)) is not None)
    ):
        # JSON held in a string (policies, pipeline definitions, Lambda configs): compare
        # structurally, so a reviewer sees `definition<json>.Steps[0]...` instead of two blobs.
        yield from _changes(parsed[0], parsed[1], f"{path}<json>")
    elif old != new or type(old) is not type(new):
        yield PropertyChange(path, "changed", old, new)


def _json_pair(old: str, new: str) -> tuple[Any, Any] | None:
    """Both strings parsed as JSON objects/arrays, or None when either is not one."""
    if not (old[:1] in "{[" and new[:1] in "{[" and old[:1] == new[:1]):
        return None
    try:
        return json.loads(old), json.loads(new)
    except ValueError:
        return None


def _join(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'
