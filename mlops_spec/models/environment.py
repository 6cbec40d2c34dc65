"""``environments.<stack>``: a per-stack overlay of the spec plus a mode preset."""

from typing import Any

from pydantic import Field

from mlops_spec.enums import Mode
from mlops_spec.models.base import SpecModel


class EnvironmentPolicy(SpecModel):
    """Environment-wide switches; each defaults from `mode` (see docs/spec.md, 'Presets')."""

    protect: bool | None = None
    """Protect and retain stateful resources (buckets, keys, registries, tables) so that
    `pulumi destroy` cannot delete them. Default: true in production, false in development."""
    schedules_enabled: bool | None = None
    """Create training, batch and monitoring schedules enabled. Default: true in production,
    false (created paused) in development."""
    alarm_actions_enabled: bool | None = None
    """Alarms notify and page. Default: true in production, false in development."""
    log_retention_days: int | None = Field(default=None, ge=1, le=3653)
    """CloudWatch log retention. Default: 365 in production, 14 in development."""
    capture_expiration_days: int | None = Field(default=None, ge=1, le=3650)
    """Captured inference data expires after this many days. Default: 90 / 7."""


class Environment(EnvironmentPolicy):
    """An environment: its mode and an overlay of the same shape as the spec."""

    mode: Mode
    """development (smaller, cheaper, schedules paused, no paging) or production
    (retention and protection on, alarm actions required)."""
    system: dict[str, Any] | None = None
    """Overlay of `system` (mappings merge; lists and scalars replace; null unsets)."""
    notifications: dict[str, Any] | None = None
    """Overlay of `notifications`."""
    data_sources: dict[str, Any] | None = None
    """Overlay of `data_sources`."""
    models: dict[str, Any] | None = None
    """Overlay of `models`."""


class EnvironmentSettings(SpecModel):
    """The resolved policy of one stack: every switch decided."""

    name: str
    mode: Mode
    protect: bool
    schedules_enabled: bool
    alarm_actions_enabled: bool
    log_retention_days: int
    capture_expiration_days: int

    @property
    def production(self) -> bool:
        return self.mode is Mode.PRODUCTION
