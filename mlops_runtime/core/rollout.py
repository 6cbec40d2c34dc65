"""One rollout for every endpoint: create it, or update it blue/green, then (optionally) wait
and verify what it serves.

``Rollout(endpoints).apply(release)`` brings ``release.endpoint`` onto ``release`` through an
``EndpointDeployer``:

- no endpoint: prepare the release's model and revision, create the endpoint: ``created``
  (its autoscaling is ``autoscaling-pending``: a Creating endpoint's variant cannot be
  registered yet);
- InService on the release's revision, or on another revision serving the same package:
  ``already-deployed`` (autoscaling applied, idempotently);
- InService on another package: prepare, handle autoscaling (removed first when the update
  changes the variant's instance type, else applied while the endpoint is InService), then
  start the blue/green update with the release's traffic shifting and rollback alarms:
  ``deployed``;
- busy (Creating, Updating, SystemUpdating, RollingBack): ``rollout-in-progress``; broken
  (Failed, OutOfService, Deleting): ``endpoint-unavailable``; nothing changes.

With ``wait`` it then polls the endpoint (``now`` and ``sleep`` are injected, so tests do not
wait) until the update has ended and verifies that the endpoint serves the release: the
outcome stays ``created`` / ``deployed`` (``verified``), or becomes ``rolled-back`` (the
endpoint serves its previous revision again: an alarm rolled it back) or ``failed`` (Failed,
gone, or still busy at the deadline). The deploy function does not wait (the endpoint's
IN_SERVICE event reconciles again); a deployment that must report the result, such as a
pinned endpoint's ``pulumi up``, does. Models and revisions are never deleted here: an
in-flight rollback may need the previous one.

The outcomes are the deploy function's audit decisions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime.contract.config import AutoscalingTarget
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.ports import (
    AlreadyExists,
    EndpointDeployer,
    EndpointState,
    Release,
    Served,
    UpdateInProgress,
)

CREATED = "created"
DEPLOYED = "deployed"
ALREADY_DEPLOYED = "already-deployed"
IN_PROGRESS = "rollout-in-progress"
UNAVAILABLE = "endpoint-unavailable"
ROLLED_BACK = "rolled-back"
FAILED = "failed"

SCALING_APPLIED = "autoscaling-applied"
"""The variant's scaling registration was written."""
SCALING_UNCHANGED = "autoscaling-unchanged"
"""It was already as configured."""
SCALING_PENDING = "autoscaling-pending"
"""The endpoint is not InService; applied on its IN_SERVICE state change (or later)."""

IN_SERVICE = "InService"
BUSY = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
POLL_SECONDS = 30.0

_UNSET: Any = object()


@dataclass(frozen=True)
class RolloutResult:
    """What a rollout did: an outcome above and the details worth recording."""

    outcome: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        """The endpoint was seen serving the release after the rollout ended."""
        return bool(self.details.get("verified"))


def scaling_resource(endpoint: str, variant: str) -> str:
    """How audit records name a variant's scaling: ``endpoint/<endpoint>/variant/<variant>``."""
    return f"endpoint/{endpoint}/variant/{variant}"


class Rollout:
    """Creates or updates endpoints through an ``EndpointDeployer``."""

    def __init__(
        self,
        endpoints: EndpointDeployer,
        *,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.endpoints = endpoints
        self.now = now
        self.sleep = sleep
        self.poll_seconds = poll_seconds

    def apply(
        self,
        release: Release,
        *,
        state: EndpointState | None = _UNSET,
        scaled: bool = False,
        wait: timedelta | None = None,
        exact: bool = False,
    ) -> RolloutResult:
        """Bring the endpoint onto ``release``. ``state`` skips a describe the caller made;
        ``scaled`` says the caller already applied autoscaling; ``wait`` waits at most that
        long for the rollout to end and verifies it; ``exact``: only the release's own revision
        counts as deployed, not another one serving the same package (a pinned endpoint, whose
        settings change without a new package)."""
        if state is _UNSET:
            state = self.endpoints.describe(release.endpoint)
        if state is None:
            result = self._create(release)
        elif state.status != IN_SERVICE:
            outcome = IN_PROGRESS if state.status in BUSY else UNAVAILABLE
            return RolloutResult(outcome, {"reason": f"endpoint status is {state.status}"})
        else:
            served = self.endpoints.served(state.config_name)
            same_package = not exact and release.package_arn in served.packages
            if state.config_name == release.config_name or same_package:
                details = {"reason": f"endpoint config {state.config_name} already serves it"}
                return RolloutResult(ALREADY_DEPLOYED, {**details, **self._scale(release, scaled)})
            result = self._update(release, state, served, scaled)
        if wait is None or result.outcome not in (CREATED, DEPLOYED):
            return result
        return self.verify(release, result, wait)

    def scale(self, endpoint: str, variant: str, scaling: AutoscalingTarget) -> str:
        """Apply a variant's autoscaling to an InService endpoint: ``autoscaling-applied`` or
        ``autoscaling-unchanged``."""
        changed = self.endpoints.apply_autoscaling(endpoint, variant, scaling)
        return SCALING_APPLIED if changed else SCALING_UNCHANGED

    def verify(self, release: Release, started: RolloutResult, wait: timedelta) -> RolloutResult:
        """Poll until the endpoint is no longer busy (at most ``wait``), then say whether it
        serves ``release``."""
        deadline = self.now() + wait
        state = self.endpoints.describe(release.endpoint)
        while state is not None and state.status in BUSY and self.now() < deadline:
            self.sleep(self.poll_seconds)
            state = self.endpoints.describe(release.endpoint)
        details = dict(started.details)
        if state is None:
            return RolloutResult(FAILED, {**details, "reason": "the endpoint disappeared"})
        if state.status in BUSY:
            reason = f"still {state.status} after {wait}; the rollout may yet finish"
            return RolloutResult(FAILED, {**details, "reason": reason, "timed_out": True})
        if state.status == IN_SERVICE and state.config_name == release.config_name:
            return RolloutResult(started.outcome, {**details, "verified": True})
        if state.status == IN_SERVICE:
            reason = f"the endpoint serves {state.config_name} again, not {release.config_name}"
            return RolloutResult(ROLLED_BACK, {**details, "reason": reason})
        reason = f"endpoint status is {state.status}: {state.failure_reason or 'no reason given'}"
        return RolloutResult(FAILED, {**details, "reason": reason})

    def _create(self, release: Release) -> RolloutResult:
        self.endpoints.prepare(release)
        try:
            self.endpoints.create(release)
        except AlreadyExists as error:
            return RolloutResult(IN_PROGRESS, {"reason": str(error)})
        details: dict[str, Any] = {
            "model_name": release.model_name,
            "endpoint_config": release.config_name,
        }
        if release.autoscaling:
            details["autoscaling"] = SCALING_PENDING
        return RolloutResult(CREATED, details)

    def _update(
        self, release: Release, state: EndpointState, served: Served, scaled: bool
    ) -> RolloutResult:
        self.endpoints.prepare(release)
        details = self._scaling_for_update(release, served, scaled)
        try:
            self.endpoints.update(release)
        except UpdateInProgress as error:
            return RolloutResult(IN_PROGRESS, {"reason": str(error), **details})
        return RolloutResult(
            DEPLOYED,
            {
                "model_name": release.model_name,
                "previous_config": state.config_name,
                "previous_packages": ", ".join(sorted(served.packages)) or None,
                "endpoint_config": release.config_name,
                "strategy": release.strategy,
                **details,
            },
        )

    def _scaling_for_update(self, release: Release, served: Served, scaled: bool) -> dict[str, Any]:
        """Before an update: remove the variant's scaling if the update changes its instance
        type (SageMaker fails such an update of a scalable variant; the IN_SERVICE event after
        the update registers it again), else apply it while the endpoint is InService."""
        old_type = served.instance_types.get(release.variant)
        if old_type and release.instance_type and old_type != release.instance_type:
            details: dict[str, Any] = {}
            if self.endpoints.remove_autoscaling(release.endpoint, release.variant):
                details["autoscaling_deregistered"] = True
            if release.autoscaling is not None:
                details["autoscaling"] = SCALING_PENDING
            return details
        return self._scale(release, scaled)

    def _scale(self, release: Release, scaled: bool) -> dict[str, Any]:
        """Apply autoscaling unless the caller did or there is none; the detail to record."""
        if scaled or release.autoscaling is None:
            return {}
        return {"autoscaling": self.scale(release.endpoint, release.variant, release.autoscaling)}
