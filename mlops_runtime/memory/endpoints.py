"""Endpoints in memory, behaving as SageMaker's do where a rollout depends on it.

- A created or updated endpoint is ``Creating`` / ``Updating`` for ``settle_after`` describes,
  then ends as ``next_ending`` says: ``serve`` (InService on the new revision), ``roll-back``
  (InService on the previous revision again: an alarm rolled the update back) or ``fail``
  (Failed).
- While busy it reports the revision it served before; an update of a busy endpoint is refused
  (``UpdateInProgress``), a second create too (``AlreadyExists``).
- Autoscaling can be registered only on an InService endpoint, and an update that changes the
  instance type of a registered variant fails, as on AWS.
- The variant's instance count follows SageMaker's rules: a created endpoint starts at the
  config's ``InitialInstanceCount``; an update's new fleet keeps the live count when the
  request retains variant properties (``RetainAllVariantProperties``) and does not exclude
  ``DesiredInstanceCount``, else takes the new config's; ``scale`` plays autoscaling.

Releases are named by the SageMaker request builder, so tests see the names the AWS adapter
would use. ``calls`` records every write, in order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from mlops_runtime.aws import endpoint_requests
from mlops_runtime.contract.config import AutoscalingTarget, EndpointTarget
from mlops_runtime.core.ports import (
    AlreadyExists,
    EndpointDeployer,
    EndpointState,
    Release,
    Served,
    UpdateInProgress,
)

BUSY = ("Creating", "Updating")
ENDINGS = ("serve", "roll-back", "fail")


@dataclass
class _Endpoint:
    status: str
    config_name: str
    pending: str | None = None
    polls_left: int = 0
    ending: str = "serve"
    failure_reason: str | None = None
    instance_count: int | None = None
    """The variant's desired instance count (None: serverless)."""
    pending_count: int | None = None


class MemoryEndpoints(EndpointDeployer):
    """``EndpointDeployer`` in memory."""

    def __init__(self, *, settle_after: int = 0) -> None:
        self._lock = threading.RLock()
        self.settle_after = settle_after
        self.next_ending = "serve"
        self.endpoints: dict[str, _Endpoint] = {}
        self.revisions: dict[str, Served] = {}
        self.config_counts: dict[str, int | None] = {}
        """Endpoint config -> its variant's ``InitialInstanceCount``."""
        self.models: set[str] = set()
        self.scaling: dict[tuple[str, str], AutoscalingTarget] = {}
        self.calls: list[tuple[str, str]] = []

    def release(self, target: EndpointTarget, package_arn: str) -> Release:
        return endpoint_requests.release(target, package_arn)

    def describe(self, endpoint: str) -> EndpointState | None:
        with self._lock:
            found = self.endpoints.get(endpoint)
            if found is None:
                return None
            self._advance(found)
            return EndpointState(
                endpoint,
                found.status,
                found.config_name,
                found.failure_reason,
                pending_config=found.pending if found.status in BUSY else None,
            )

    def served(self, config_name: str) -> Served:
        with self._lock:
            if config_name not in self.revisions:
                raise LookupError(f"no endpoint config {config_name}")
            return self.revisions[config_name]

    def prepare(self, release: Release) -> None:
        with self._lock:
            if release.model_name not in self.models:
                self.models.add(release.model_name)
                self.calls.append(("create_model", release.model_name))
            if release.config_name not in self.revisions:
                types = {release.variant: release.instance_type} if release.instance_type else {}
                self.revisions[release.config_name] = Served(
                    frozenset({release.package_arn}), types
                )
                self.config_counts[release.config_name] = _initial_count(release)
                self.calls.append(("create_endpoint_config", release.config_name))

    def create(self, release: Release) -> None:
        with self._lock:
            self._require_prepared(release)
            if release.endpoint in self.endpoints:
                raise AlreadyExists(f"endpoint {release.endpoint} already exists")
            created = self._started("Creating", release.config_name, release)
            created.pending_count = self.config_counts[release.config_name]
            self.endpoints[release.endpoint] = created
            self.calls.append(("create_endpoint", release.config_name))

    def update(self, release: Release) -> None:
        with self._lock:
            self._require_prepared(release)
            found = self.endpoints[release.endpoint]
            if found.status != "InService":
                raise UpdateInProgress(f"endpoint {release.endpoint} is {found.status}")
            old = self.revisions[found.config_name].instance_types.get(release.variant)
            if (release.endpoint, release.variant) in self.scaling and old not in (
                None,
                release.instance_type,
            ):
                raise RuntimeError(
                    "the instance type of a variant registered as a scalable target cannot change"
                )
            updated = self._started("Updating", found.config_name, release)
            updated.instance_count = found.instance_count
            updated.pending_count = _new_fleet_count(
                release, found.instance_count, self.config_counts[release.config_name]
            )
            self.endpoints[release.endpoint] = updated
            self.calls.append(("update_endpoint", release.config_name))

    def apply_autoscaling(self, endpoint: str, variant: str, scaling: AutoscalingTarget) -> bool:
        with self._lock:
            found = self.endpoints.get(endpoint)
            if found is None or found.status != "InService":
                raise RuntimeError(f"endpoint {endpoint} is not InService")
            changed = self.scaling.get((endpoint, variant)) != scaling
            if changed:
                self.scaling[(endpoint, variant)] = scaling
                self.calls.append(("register_scalable_target", endpoint))
            return changed

    def remove_autoscaling(self, endpoint: str, variant: str) -> bool:
        with self._lock:
            removed = self.scaling.pop((endpoint, variant), None) is not None
            if removed:
                self.calls.append(("deregister_scalable_target", endpoint))
            return removed

    # --- playing the world around the endpoint ----------------------------------------------

    def serve(self, release: Release) -> None:
        """An endpoint InService on ``release`` (what an earlier deployment left)."""
        with self._lock:
            self.prepare(release)
            count = self.config_counts[release.config_name]
            self.endpoints[release.endpoint] = _Endpoint(
                "InService", release.config_name, instance_count=count
            )

    def scale(self, endpoint: str, count: int) -> None:
        """Autoscaling (or an operator) sets the live variant's instance count."""
        with self._lock:
            self.endpoints[endpoint].instance_count = count

    def instance_count(self, endpoint: str) -> int | None:
        """The live variant's instance count, without advancing a rollout."""
        with self._lock:
            return self.endpoints[endpoint].instance_count

    def set_status(self, endpoint: str, status: str) -> None:
        """The endpoint's status changes (a rollout started elsewhere, a failure, ...)."""
        with self._lock:
            self.endpoints[endpoint].status = status

    def operations(self, name: str) -> list[str]:
        """The recorded writes of one operation, in order (their names)."""
        return [target for operation, target in self.calls if operation == name]

    def _started(self, status: str, previous: str, release: Release) -> _Endpoint:
        if self.next_ending not in ENDINGS:
            raise ValueError(f"next_ending must be one of {ENDINGS}, got {self.next_ending!r}")
        return _Endpoint(status, previous, release.config_name, self.settle_after, self.next_ending)

    def _require_prepared(self, release: Release) -> None:
        if release.config_name not in self.revisions:
            raise LookupError(f"endpoint config {release.config_name} was not created")

    @staticmethod
    def _advance(endpoint: _Endpoint) -> None:
        if endpoint.status not in BUSY or endpoint.pending is None:
            return  # not a rollout this fake started (``set_status``): it stays as set
        if endpoint.polls_left > 0:
            endpoint.polls_left -= 1
            return
        if endpoint.ending == "serve":
            endpoint.status, endpoint.config_name = "InService", str(endpoint.pending)
            endpoint.instance_count = endpoint.pending_count
        elif endpoint.ending == "roll-back" and endpoint.status == "Updating":
            endpoint.status = "InService"
            endpoint.failure_reason = "an alarm rolled the update back"
        else:
            endpoint.status, endpoint.failure_reason = "Failed", "the new fleet failed"
        endpoint.pending = None

    def states(self) -> dict[str, tuple[str, str]]:
        """Endpoint name -> (status, revision), without advancing a rollout."""
        with self._lock:
            return {name: (e.status, e.config_name) for name, e in self.endpoints.items()}


def _initial_count(release: Release) -> int | None:
    """The ``InitialInstanceCount`` of the release's config (None: serverless)."""
    (variant,) = release.requests["endpoint_config"]["ProductionVariants"]
    count = variant.get("InitialInstanceCount")
    return int(count) if count is not None else None


def _new_fleet_count(release: Release, live: int | None, configured: int | None) -> int | None:
    """The green fleet's size as SageMaker picks it from the UpdateEndpoint request."""
    update = release.requests["update"]
    excluded = {
        p["VariantPropertyType"] for p in update.get("ExcludeRetainedVariantProperties", [])
    }
    if update.get("RetainAllVariantProperties") and "DesiredInstanceCount" not in excluded:
        return live
    return configured
