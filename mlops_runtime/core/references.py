"""Drift references follow the package the endpoint serves.

The training pipeline's Profile step writes every candidate's references (``profile.json``,
and ``predictions.json`` with a gate) under its own per-execution prefix, and the register
step records that prefix on the package (``mlops:reference``). The monitoring job reads the
**current** references. The deploy function copies a package's references to the current
ones once it sees the endpoint InService on that package: after a verified rollout, and after
the first creation. A candidate that is only registered, approved and rolled back, or
rejected, never becomes the reference; a rejection's rollback makes the package served again
the reference again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mlops_runtime.contract.config import REFERENCE_METADATA, EndpointTarget
from mlops_runtime.core import rollback
from mlops_runtime.core.ports import (
    EndpointDeployer,
    EndpointMemory,
    EndpointState,
    ModelRegistry,
    ObjectMissing,
    ObjectStore,
    RolloutMemory,
)
from mlops_runtime.core.rollout import IN_SERVICE

PROMOTED = "references-promoted"
"""The served package's references are now the current ones."""
MISSING = "references-missing"
"""The served package records no usable references: the current ones are left in place."""

Decide = Callable[..., dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class ReferencePorts:
    """What promoting references goes through."""

    registry: ModelRegistry
    endpoints: EndpointDeployer
    memory: RolloutMemory
    objects: ObjectStore


def follow_served(
    ports: ReferencePorts,
    target: EndpointTarget,
    state: EndpointState | None,
    memory: EndpointMemory,
    decide: Decide,
) -> EndpointMemory:
    """Make the served package's references the current ones, once per package."""
    refs = target.references
    if refs is None or state is None or state.status != IN_SERVICE:
        return memory
    packages = ports.endpoints.served(state.config_name).packages
    if len(packages) != 1 or memory.reference_package in packages:
        return memory
    (package,) = packages
    source = ports.registry.package(package).metadata.get(REFERENCE_METADATA, "")
    prefix = source.rstrip("/") + "/"
    problem = None
    if not source or not prefix.startswith(refs.packages_uri) or ".." in prefix:
        problem = f"{package} records no {REFERENCE_METADATA} under {refs.packages_uri}"
    else:
        try:
            for name in refs.files:
                ports.objects.copy(
                    prefix + name, refs.current_uri + name, kms_key_id=refs.kms_key_id
                )
        except ObjectMissing as error:
            problem = f"{package}'s references are incomplete: {error}"
    memory = rollback.update(
        ports.memory,
        memory.endpoint,
        lambda m: dataclasses.replace(m, reference_package=package),
    )
    if problem:
        decide(MISSING, package=package, reason=f"{problem}; the current references stay")
    else:
        decide(PROMOTED, package=package, source=prefix, current=refs.current_uri)
    return memory
