"""The loop controller's decisions: the AWS trigger's and deploy function's, on Kubernetes.

``Loop`` takes every decision through the shared code of ``mlops_runtime.core`` (the
retraining trigger: claim, cooldown, daily cap, start; the deploy reconcile: latest approved
version, rollback memory, references), so the two back ends cannot decide differently:

- ``alerts``: an Alertmanager webhook delivery (``events.alertmanager``);
- ``schedule``: a scheduled start from the model's CronJob (``events.schedule``);
- ``poll``: new objects under the data sources (``poll.DataPoller``);
- ``reconcile``: level-triggered, every ``reconcile_seconds``, for every model served
  ``latest_approved``: the latest approved version that has not rolled back goes onto the
  Rollout; a rejected served version is replaced by the newest approved one; an aborted
  canary is recorded as rolled back (never retried) and its template restored.

Reconciles that change nothing (``already-deployed``, ``rollout-in-progress``,
``no-approved-package``) are audited once each time the outcome changes, not every period.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import EndpointTarget
from mlops_runtime.contract.controller import ControllerConfig
from mlops_runtime.core import audit, reconcile, retraining
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.reconcile import DeployPorts
from mlops_runtime.core.retraining import TriggerPorts
from mlops_runtime.k8s import events
from mlops_runtime.k8s.poll import DataPoller
from mlops_runtime.k8s.rollouts import RolloutEndpoints

QUIET = frozenset({"already-deployed", "rollout-in-progress", "no-approved-package"})
RESTORED = "rollout-restored"
"""An aborted Rollout's template was set back to the revision its stable pods serve."""
LEVEL = "level"
"""The ``trigger`` of a periodic reconcile's records."""


@dataclass
class Loop:
    """The controller's decisions; every method is synchronous and serialised by a lock."""

    config: ControllerConfig
    trigger: TriggerPorts
    deploy: DeployPorts
    poller: DataPoller | None = None
    ensure_group: Callable[[str], object] | None = None
    """Creates a model's registry if missing (``ObjectRegistry.ensure_group``)."""
    now: Callable[[], datetime] = utcnow
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        """Create every model's registry (as Pulumi creates a package group on AWS)."""
        if self.ensure_group is not None:
            for model in self.config.models:
                self.ensure_group(model)

    def alerts(self, payload: Any) -> dict[str, Any]:
        """Decide an Alertmanager delivery; raises ``TriggerError`` when a start failed (the
        webhook answers 500 and Alertmanager sends it again)."""
        with self._lock:
            items = events.alertmanager(payload, self.config.alerts)
            return retraining.decide(items, self.trigger_config, self.trigger, self.now)

    def schedule(self, body: Any) -> dict[str, Any]:
        """Decide a scheduled start."""
        with self._lock:
            items = events.schedule(body, self.trigger_config, self.now())
            return retraining.decide(items, self.trigger_config, self.trigger, self.now)

    def poll(self) -> dict[str, Any]:
        """Decide the new data of every source, then move the watermarks on."""
        if self.poller is None:
            return {"decisions": []}
        with self._lock:
            decisions: list[dict[str, Any]] = []
            for found in self.poller.find():
                result = retraining.decide(
                    list(found.requests), self.trigger_config, self.trigger, self.now
                )
                decisions += result["decisions"]
                self.poller.advance(found)
            return {"decisions": decisions}

    def reconcile(self) -> list[dict[str, Any]]:
        """Reconcile every served model once; the (last) record of each."""
        with self._lock:
            return [self._reconcile(model, target) for model, target in self.targets.items()]

    @property
    def trigger_config(self) -> Any:
        return self.config.trigger_config()

    @property
    def targets(self) -> dict[str, EndpointTarget]:
        return self.config.endpoint_targets()

    def _reconcile(self, group: str, target: EndpointTarget) -> dict[str, Any]:
        decide = self._decider(target)
        try:
            record = reconcile.reconcile(
                self.deploy, target, group, decide, trigger=LEVEL, now=self.now
            )
            return self._restore(target, decide) or record
        except Exception as error:
            return decide("error", trigger=LEVEL, error=f"{type(error).__name__}: {error}")

    def _restore(
        self, target: EndpointTarget, decide: Callable[..., dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Argo keeps an aborted canary's template: put back the revision that is served
        (its record, or None when nothing needed restoring)."""
        endpoints = self.deploy.endpoints
        if not isinstance(endpoints, RolloutEndpoints):
            return None
        state = endpoints.describe(target.endpoint_name)
        if state is None or state.status != "InService":
            return None
        served = sorted(endpoints.served(state.config_name).packages)
        if len(served) != 1:
            return None
        release = endpoints.release(target, served[0])
        if not endpoints.restore(target.endpoint_name, release):
            return None
        return decide(RESTORED, trigger=LEVEL, revision=state.config_name, package=served[0])

    def _decider(self, target: EndpointTarget) -> Callable[..., dict[str, Any]]:
        model = target.model_id

        def decide(decision: str, **details: Any) -> dict[str, Any]:
            repeated = decision in QUIET and self._last.get(model) == decision
            self._last[model] = decision
            context = {"endpoint": target.endpoint_name, **details}
            if repeated:  # the same no-op as last period: not recorded again
                return {"unit": reconcile.UNIT, "model": model, "decision": decision, **context}
            return audit.record(
                self.deploy.audit,
                unit=reconcile.UNIT,
                model=model,
                decision=decision,
                now=self.now(),
                ttl_days=self.config.audit_ttl_days,
                system=self.config.system,
                **context,
            )

        return decide
