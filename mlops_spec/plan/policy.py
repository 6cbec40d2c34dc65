"""The environment policy every component applies: protection, schedules, alarms, tags."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.aws_catalog import LOG_RETENTION_DAYS
from mlops_spec.models import ResolvedSpec

MANAGED_BY = "mlops-spec"

"""The retention periods CloudWatch Logs accepts."""


def log_retention(days: int) -> int:
    """The smallest retention CloudWatch Logs accepts that keeps logs at least ``days``."""
    return next(value for value in LOG_RETENTION_DAYS if value >= days)


@dataclass(frozen=True)
class EnvironmentPolicy:
    """Switches decided once per stack."""

    environment: str
    production: bool
    protect: bool
    """``protect`` and ``retain_on_delete`` on stateful resources (keys, buckets, package
    groups, tables); buckets also keep their objects (no ``force_destroy``)."""
    schedules_enabled: bool
    alarm_actions_enabled: bool
    log_retention_days: int
    """Rounded up to a value CloudWatch Logs accepts."""
    capture_expiration_days: int
    noncurrent_version_days: int
    """Old object versions expire after this many days (versioning stays on everywhere)."""
    kms_deletion_window_days: int
    tags: tuple[tuple[str, str], ...]
    """Sorted (key, value) pairs on every taggable resource."""

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)


def environment_policy(resolved: ResolvedSpec) -> EnvironmentPolicy:
    """The policy of ``resolved``'s stack; the four standard tags win over system tags."""
    env = resolved.environment
    system = resolved.spec.system
    tags = {
        **system.tags,
        "system": system.id,
        "environment": env.name,
        "owner": system.owner,
        "managed-by": MANAGED_BY,
    }
    return EnvironmentPolicy(
        environment=env.name,
        production=env.production,
        protect=env.protect,
        schedules_enabled=env.schedules_enabled,
        alarm_actions_enabled=env.alarm_actions_enabled,
        log_retention_days=log_retention(env.log_retention_days),
        capture_expiration_days=env.capture_expiration_days,
        noncurrent_version_days=90 if env.production else 30,
        kms_deletion_window_days=30 if env.production else 7,
        tags=tuple(sorted(tags.items())),
    )
