"""Facts: what the spec said for one stack, stored in the plan document (``format_version`` 2).

A review compares two plans that may come from different code versions (the base planned with
the base commit's own code), so it cannot re-read the spec with today's code: the plan carries
what the review needs, as plain JSON::

    "facts": {
      "facts_version": 1,
      "file": "examples/churn/mlops.yaml",        # as given to `mlops plan`, relative when possible
      "stack": "prod",
      "spec": {...},                              # the resolved, validated spec (JSON)
      "origins": {"models.m.serving.instance_type": {"source": "base", "line": 63}, ...},
      "lines": {"models.m.monitors": 79, ...},    # every key written in the file (spec paths)
      "environment": {"name": "prod", "mode": "production", "protect": true, ...,
                      "lines": {"mode": 140, "alarm_actions_enabled": 141}},
      "endpoints": {"m": {"name": "churn-prod-m", "owner": "deploy-function"}}
    }

``origins`` holds every leaf of the resolved spec and where it came from (``base``,
``overlay:<stack>``, ``preset:<mode>`` or ``default``, as ``mlops explain`` says); lists are
leaves. Paths are ``mlops_spec.errors.dotted`` paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_spec.errors import dotted
from mlops_spec.explain import explain

if TYPE_CHECKING:
    from mlops_preview.document import PlanDocument
    from mlops_spec.load import Validation

FACTS_VERSION = 1


def display_path(file: str) -> str:
    """``file`` relative to the working directory when it lies below it (links need that)."""
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return os.fspath(path)


def build_facts(validation: Validation, stack: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of ``stack`` from a successful validation and the plan's stack outputs."""
    resolution = validation.stacks[stack]
    resolved = resolution.spec
    document = validation.document
    origins = {
        o.path: {"source": o.source, "line": o.line}
        for o in explain(resolution)
        if o.path != "(root)"
    }
    env_prefix = ("environments", stack)
    env_lines = {
        str(loc[2]): pos.line
        for loc, pos in document.keys.items()
        if loc[:2] == env_prefix and len(loc) == 3
    }
    if env_prefix in document.keys:
        env_lines["(stack)"] = document.keys[env_prefix].line
    return {
        "facts_version": FACTS_VERSION,
        "file": display_path(document.file),
        "stack": stack,
        "spec": resolved.spec.model_dump(mode="json"),
        "origins": origins,
        "lines": {dotted(loc): pos.line for loc, pos in sorted(resolution.keys.items(), key=str)},
        "environment": {**resolved.environment.model_dump(mode="json"), "lines": env_lines},
        "endpoints": endpoints_from_outputs(outputs),
    }


def endpoints_from_outputs(outputs: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """Model id -> endpoint name and owner (``pulumi`` or ``deploy-function``), from outputs."""
    models = outputs.get("models") or {}
    return {
        model: {"name": values.get("endpoint_name"), "owner": values.get("endpoint_owner")}
        for model, values in sorted(models.items())
        if isinstance(values, dict) and values.get("endpoint_name")
    }


def attach_facts(document: PlanDocument, validation: Validation, stack: str) -> PlanDocument:
    """``document`` with the facts of ``stack`` (written as format_version 2)."""
    return replace(document, facts=build_facts(validation, stack, document.outputs))


@dataclass(frozen=True)
class Facts:
    """A read view of a plan document's facts."""

    file: str
    stack: str
    spec: dict[str, Any]
    environment: dict[str, Any]
    env_lines: dict[str, int] = field(default_factory=dict)
    origins: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: PlanDocument) -> Facts | None:
        """The document's facts, or None for a version 1 document (or unreadable facts)."""
        data = document.facts
        if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
            return None
        environment = dict(data.get("environment") or {})
        env_lines = environment.pop("lines", None) or {}
        return cls(
            file=str(data.get("file") or ""),
            stack=str(data.get("stack") or document.stack),
            spec=data["spec"],
            environment=environment,
            env_lines={str(k): int(v) for k, v in env_lines.items() if isinstance(v, int)},
            origins=dict(data.get("origins") or {}),
            lines=dict(data.get("lines") or {}),
            endpoints=dict(data.get("endpoints") or {}),
        )

    @property
    def models(self) -> dict[str, Any]:
        return dict(self.spec.get("models") or {})

    @property
    def mode(self) -> str:
        return str(self.environment.get("mode", ""))

    @property
    def production(self) -> bool:
        return self.mode == "production"

    def endpoint_owner(self, model: str) -> str | None:
        return (self.endpoints.get(model) or {}).get("owner")

    def line(self, path: str) -> int | None:
        """The line that decides ``path``: its own, the mode line for preset values, else the
        nearest written ancestor's; None when nothing on the way was written."""
        origin = self.origins.get(path) or {}
        if origin.get("line"):
            return int(origin["line"])
        if str(origin.get("source", "")).startswith("preset:"):
            return self.env_lines.get("mode")
        candidate = path
        while candidate:
            if candidate in self.lines:
                return int(self.lines[candidate])
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return None

    def source(self, path: str) -> str | None:
        return (self.origins.get(path) or {}).get("source")
