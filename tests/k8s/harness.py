"""One call for a rendered stack: every manifest against the schema that defines it."""

from __future__ import annotations

from typing import Any

from tests.k8s import builtin, crds
from tests.k8s.manifests import name


def errors(manifests: list[dict[str, Any]]) -> list[str]:
    """Schema errors of every manifest (empty: all valid): built-in kinds through
    kubernetes-validate at ``builtin.VERSIONS``, custom resources through the vendored CRDs
    (strict), and a manifest neither defines is an error of its own, never skipped."""
    found: list[str] = []
    for manifest in manifests:
        if builtin.is_builtin(manifest):
            found += builtin.errors(manifest)
        elif crds.is_custom(manifest):
            found += crds.errors(manifest)
        else:
            found.append(
                f"{name(manifest)}: no schema for {manifest.get('apiVersion')} "
                f"{manifest.get('kind')} (neither a built-in kind nor a vendored CRD)"
            )
    return found
