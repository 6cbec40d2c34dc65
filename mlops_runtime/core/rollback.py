"""Rollback memory: what the deploy function remembers about each endpoint's rollouts, so that
an update SageMaker rolled back is never started again by the next event.

A blue/green update that an alarm rolls back (or whose new fleet fails) ends with the endpoint
InService on its **previous** revision, and SageMaker sends the same IN_SERVICE state change as
for a successful one. Reconciling on that event alone would roll the same package out again,
and again. So the function remembers, per endpoint (``RolloutMemory``, in the runtime table):

- ``started``: the update it started (package, the revision asked for, the one served before),
  written once ``UpdateEndpoint`` is accepted, or from ``DescribeEndpoint``'s pending
  deployment if that write was lost;
- ``rolled_back``: packages whose update ended with the endpoint serving another revision.

``observe`` settles a started update from what the endpoint serves now: busy: nothing yet;
InService on the revision asked for: ``rollout-verified``; InService on any other revision:
``rolled-back`` (recorded, audited, and announced through the ``Notifier``). ``choose`` then
skips rolled-back packages: the endpoint moves only when a newer package is approved, or when
the served package is rejected (it then goes to the newest Approved package that has not
rolled back there). The decision is taken from ``DescribeEndpoint``, never from the event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mlops_runtime.core.ports import (
    EndpointDeployer,
    EndpointMemory,
    EndpointState,
    ModelRegistry,
    Notifier,
    PackageRef,
    Release,
    RolledBack,
    RolloutMemory,
    StartedRollout,
)
from mlops_runtime.core.rollout import BUSY, IN_SERVICE, ROLLED_BACK

VERIFIED = "rollout-verified"
"""The endpoint was seen serving the revision an update asked for."""
MAX_ROLLED_BACK = 50
"""Rolled-back packages remembered per endpoint (the oldest are forgotten first)."""
WRITE_ATTEMPTS = 5

Decide = Callable[..., dict[str, Any]]
Change = Callable[[EndpointMemory], EndpointMemory | None]


class MemoryConflict(RuntimeError):
    """The endpoint's memory kept changing under this writer."""


def update(store: RolloutMemory, endpoint: str, change: Change) -> EndpointMemory:
    """Read, change and write the endpoint's memory with optimistic locking (``change`` sees
    the stored memory and returns the new one, or None when nothing needs writing)."""
    for _ in range(WRITE_ATTEMPTS):
        current = store.read(endpoint)
        changed = change(current)
        if changed is None:
            return current
        changed = dataclasses.replace(changed, version=current.version + 1)
        if store.write(changed, expected_version=current.version):
            return changed
    raise MemoryConflict(f"the rollout memory of {endpoint} changed {WRITE_ATTEMPTS} times")


def observe(
    store: RolloutMemory,
    endpoints: EndpointDeployer,
    endpoint: str,
    state: EndpointState | None,
    decide: Decide,
    at: str,
) -> EndpointMemory:
    """Settle the endpoint's started update from ``state`` (see the module docstring)."""
    memory = store.read(endpoint)
    started = memory.started
    if state is None:  # deleted: no update of it can still end
        return _forget_started(store, endpoint, started) if started else memory
    if state.status in BUSY:
        if started is None and state.pending_config:
            return _backfill(store, endpoints, state, at)
        return memory
    if started is None or state.status != IN_SERVICE:
        return memory
    if state.config_name == started.config_name:
        memory = _forget_started(store, endpoint, started)
        decide(VERIFIED, package=started.package_arn, endpoint_config=started.config_name)
        return memory
    return _record_rollback(store, endpoint, started, state, decide, at)


def _forget_started(
    store: RolloutMemory, endpoint: str, started: StartedRollout | None
) -> EndpointMemory:
    return update(
        store,
        endpoint,
        lambda m: dataclasses.replace(m, started=None) if m.started == started else None,
    )


def _backfill(
    store: RolloutMemory, endpoints: EndpointDeployer, state: EndpointState, at: str
) -> EndpointMemory:
    """Remember an update in progress that was started without being remembered (the write
    after ``UpdateEndpoint`` was lost): its package is what the pending revision serves."""
    assert state.pending_config is not None
    packages = sorted(endpoints.served(state.pending_config).packages)
    started = StartedRollout(
        package_arn=packages[0] if len(packages) == 1 else ", ".join(packages),
        config_name=state.pending_config,
        previous_config=state.config_name,
        started_at=at,
    )
    return update(
        store,
        state.name,
        lambda m: dataclasses.replace(m, started=started) if m.started is None else None,
    )


def _record_rollback(
    store: RolloutMemory,
    endpoint: str,
    started: StartedRollout,
    state: EndpointState,
    decide: Decide,
    at: str,
) -> EndpointMemory:
    again = " (its previous revision) again" if state.config_name == started.previous_config else ""
    reason = (
        f"the update to {started.config_name} ended with the endpoint serving "
        f"{state.config_name}{again}"
    )
    if state.failure_reason:
        reason += f" ({state.failure_reason})"
    entry = RolledBack(
        package_arn=started.package_arn,
        config_name=started.config_name,
        served_config=state.config_name,
        detected_at=at,
        reason=reason,
    )

    def change(memory: EndpointMemory) -> EndpointMemory | None:
        if memory.started != started:
            return None
        kept = (*memory.rolled_back, entry)[-MAX_ROLLED_BACK:]
        return dataclasses.replace(memory, started=None, rolled_back=kept)

    memory = update(store, endpoint, change)
    decide(
        ROLLED_BACK,
        rolled_back_package=started.package_arn,
        requested_config=started.config_name,
        served_config=state.config_name,
        started_at=started.started_at,
        rollback_alarms=", ".join(state.rollback_alarms) or None,
        reason=reason,
    )
    return memory


def announce(
    store: RolloutMemory, notifier: Notifier | None, memory: EndpointMemory, model: str
) -> EndpointMemory:
    """Tell people about every rollback not announced yet, then remember it was (a failed
    notification is retried by the next invocation)."""
    pending = [entry for entry in memory.rolled_back if not entry.notified]
    if notifier is None or not pending:
        return memory
    for entry in pending:
        notifier.notify(
            f"{memory.endpoint}: rollout of {model} rolled back",
            _message(memory.endpoint, model, entry),
        )
    done = {entry.package_arn for entry in pending}

    def change(current: EndpointMemory) -> EndpointMemory:
        marked = tuple(
            dataclasses.replace(e, notified=True) if e.package_arn in done else e
            for e in current.rolled_back
        )
        return dataclasses.replace(current, rolled_back=marked)

    return update(store, memory.endpoint, change)


def _message(endpoint: str, model: str, entry: RolledBack) -> str:
    return (
        f"The rollout of model package {entry.package_arn} ({model}) onto endpoint {endpoint} "
        f"was rolled back: {entry.reason}. Detected at {entry.detected_at}.\n"
        "The deploy function will not roll this package out again. The endpoint keeps "
        f"serving {entry.served_config}. It moves on when a newer package is approved, or "
        "when the package it serves is rejected. Reject the rolled-back package to record the "
        "decision in the registry; to retry the same model, register it again as a new "
        "package version."
    )


def choose(
    registry: ModelRegistry, group: str, latest: PackageRef | None, rolled_back: frozenset[str]
) -> tuple[PackageRef | None, list[str]]:
    """(The newest Approved package that has not rolled back on the endpoint, the newer ones
    skipped because they did); ``latest`` is the group's latest Approved package."""
    if latest is None or latest.arn not in rolled_back:
        return latest, []
    skipped: list[str] = []
    for package in registry.approved_packages(group):
        if package.arn not in rolled_back:
            return package, skipped
        skipped.append(package.arn)
    return None, skipped


def remember_started(
    store: RolloutMemory, release: Release, previous_config: str, at: str
) -> EndpointMemory:
    """Remember the update just accepted for ``release``."""
    started = StartedRollout(release.package_arn, release.config_name, previous_config, at)
    return update(store, release.endpoint, lambda m: dataclasses.replace(m, started=started))
