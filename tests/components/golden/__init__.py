"""Golden plans: the offline plan of every example stack (and of the all-tiers spec), as
``PlanDocument.to_json()``, frozen in ``<example>-<stack>.json`` next to this file.

Refresh them after an intended change, then review the diff like any other code change::

    python -m tests.components.golden --update     # rewrite every golden file
    python -m tests.components.golden              # check only (exit 1 and a summary if stale)

Only deterministic data is kept (aws/aws-cdk#13468): the archives of runtime code are reduced
to the source directories they pack, and asset hashes and dynamic providers' source hashes are
dropped, so editing a runtime module or a provider does not touch the golden plans, while adding a package to the archive or changing any
resource, input, option or output does. Asset paths are relative to the program directory, so
no machine path can appear.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from mlops_preview import PlanDocument, PlannedResource, diff_plans

GOLDEN_DIR = Path(__file__).resolve().parent


def golden_path(key: str) -> Path:
    return GOLDEN_DIR / f"{key}.json"


def _stable(value: Any) -> Any:
    """``value`` without asset hashes, archives as the sorted directories of their files."""
    if isinstance(value, dict):
        archive = value.get("archive")
        if (
            len(value) == 1
            and isinstance(archive, dict)
            and isinstance(archive.get("assets"), dict)
        ):
            files = archive["assets"]
            return {
                "archive": {
                    "directories": sorted({str(PurePosixPath(f).parent) for f in files}),
                }
            }
        asset = value.get("asset")
        if len(value) == 1 and isinstance(asset, dict):
            return {"asset": {k: v for k, v in asset.items() if k != "sha256"}}
        provider = value.get("provider")  # a dynamic resource's (mlops_preview.dynamic)
        if len(value) == 1 and isinstance(provider, dict) and "class" in provider:
            return {"provider": {"class": provider["class"]}}
        return {k: _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def stable(doc: PlanDocument) -> PlanDocument:
    """The golden form of a plan document."""
    resources = tuple(
        PlannedResource.from_dict(
            {**r.to_dict(), "inputs": _stable(r.inputs), "outputs": _stable(r.outputs)}
        )
        for r in doc.resources
    )
    return PlanDocument(
        project=doc.project,
        stack=doc.stack,
        resources=resources,
        outputs=_stable(doc.outputs),
        warnings=doc.warnings,
    )


def difference(key: str, doc: PlanDocument, limit: int = 25) -> str | None:
    """None when ``doc`` matches the golden file of ``key``; else what differs, briefly."""
    path = golden_path(key)
    current = stable(doc)
    if not path.is_file():
        return f"{path.name} is missing"
    text = path.read_text(encoding="utf-8")
    if text == current.to_json():
        return None
    diff = diff_plans(PlanDocument.from_json(text), current)
    lines = [f"{path.name} is stale: {diff.summary()}"]
    lines += [f"  + {r.urn}" for r in diff.added]
    lines += [f"  - {r.urn}" for r in diff.removed]
    for change in diff.changed:
        lines.append(f"  ~ {change.urn}")
        lines += [f"      {c.path} ({c.kind})" for c in (*change.inputs, *change.options)]
    lines += [f"  output {c.path} ({c.kind})" for c in diff.outputs]
    if len(lines) > limit:
        lines = [*lines[:limit], f"  ... {len(lines) - limit} more lines"]
    return "\n".join(lines)
