"""Offline preview and plan diff for Pulumi programs (may import pulumi; mlops_spec must not).

Run a real program under recording mocks with :func:`preview` (or :func:`preview_project` for a
directory holding ``Pulumi.yaml``), keep the result as a :class:`PlanDocument` (stable JSON),
compare two documents with :func:`diff_plans`, and show either with :mod:`mlops_preview.render`.

Names are imported on first use: reading or diffing plan documents must not pay for importing
pulumi (about 0.3 s), which only running a program needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_preview.diff import PlanDiff, PropertyChange, ResourceChange, diff_plans
    from mlops_preview.document import FORMAT_VERSION, PlanDocument, PlannedResource
    from mlops_preview.errors import PreviewError
    from mlops_preview.run import preview, preview_project

_HOMES = {
    "PlanDiff": "diff",
    "PropertyChange": "diff",
    "ResourceChange": "diff",
    "diff_plans": "diff",
    "FORMAT_VERSION": "document",
    "PlanDocument": "document",
    "PlannedResource": "document",
    "PreviewError": "errors",
    "preview": "run",
    "preview_project": "run",
}

__all__ = [
    "FORMAT_VERSION",
    "PlanDiff",
    "PlanDocument",
    "PlannedResource",
    "PreviewError",
    "PropertyChange",
    "ResourceChange",
    "diff_plans",
    "preview",
    "preview_project",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mlops_preview' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mlops_preview.{_HOMES[name]}"), name)
