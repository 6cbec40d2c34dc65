"""Offline preview and plan diff for Pulumi programs (may import pulumi; mlops_spec must not).

Run a real program under recording mocks with :func:`preview` (or :func:`preview_project` for a
directory holding ``Pulumi.yaml``), keep the result as a :class:`PlanDocument` (stable JSON),
compare two documents with :func:`diff_plans`, and show either with :mod:`mlops_preview.render`.
"""

from mlops_preview.diff import PlanDiff, PropertyChange, ResourceChange, diff_plans
from mlops_preview.document import FORMAT_VERSION, PlanDocument, PlannedResource
from mlops_preview.errors import PreviewError
from mlops_preview.run import preview, preview_project

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
