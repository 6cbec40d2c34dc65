"""``environments.<stack>``: a per-stack overlay of the spec plus a mode preset."""

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

from mlops_spec.aws_catalog import LOG_RETENTION_DAYS
from mlops_spec.enums import Mode
from mlops_spec.models.base import SpecModel


def _retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda value: abs(value - days))
        raise PydanticCustomError(
            "spec_choice",
            "CloudWatch Logs does not accept this retention",
            {
                "got": days,
                "allowed": ", ".join(map(str, LOG_RETENTION_DAYS)),
                "suggestion": str(nearest),
            },
        )
    return days


LogRetentionDays = Annotated[
    StrictInt,
    AfterValidator(_retention),
    Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)}),
]


class EnvironmentPolicy(SpecModel):
    """Environment-wide switches; each defaults from `mode` (see docs/spec.md, 'Presets')."""

    protect: StrictBool | None = None
    """Protect and retain stateful resources (buckets, keys, registries, tables, log groups)
    so that `pulumi destroy` cannot delete them. Default: true in production, false in
    development — a development stack's destroy deletes them, bucket contents included."""
    schedules_enabled: StrictBool | None = None
    """Create training, batch and monitoring schedules enabled. Default: true in production,
    false in development — development schedules exist but are created paused."""
    alarm_actions_enabled: StrictBool | None = None
    """Alarms notify and page. Default: true in production, false in development —
    development alarms change state but notify nobody."""
    log_retention_days: LogRetentionDays | None = None
    """CloudWatch log retention (and access-log expiry), in days. Default: 365 in production,
    14 in development — older log events are deleted."""
    capture_expiration_days: StrictInt | None = Field(default=None, ge=1, le=3650)
    """Captured inference data expires after this many days. Default: 90 in production, 7 in
    development — older captured requests are deleted."""


class Environment(EnvironmentPolicy):
    """An environment: its mode and an overlay of the same shape as the spec."""

    mode: Mode
    """development (smaller, cheaper, schedules paused, no paging) or production
    (retention and protection on, alarm actions required)."""
    system: dict[str, Any] | None = None
    """Overlay of `system` (mappings merge; lists and scalars replace; null unsets).
    Default: unset — the stack keeps the base file's `system`."""
    notifications: dict[str, Any] | None = None
    """Overlay of `notifications`, merged the same way. Default: unset — the stack keeps the
    base file's `notifications`."""
    data_sources: dict[str, Any] | None = None
    """Overlay of `data_sources`, merged the same way. Default: unset — the stack keeps the
    base file's `data_sources`."""
    models: dict[str, Any] | None = None
    """Overlay of `models`, merged the same way. Default: unset — the stack keeps the base
    file's `models` (with the mode preset applied)."""


class EnvironmentSettings(SpecModel):
    """The resolved policy of one stack: every switch decided."""

    name: str
    """The stack name."""
    mode: Mode
    """development or production."""
    protect: StrictBool
    """Stateful resources are protected and retained."""
    schedules_enabled: StrictBool
    """Schedules are created enabled (not paused)."""
    alarm_actions_enabled: StrictBool
    """Alarms notify."""
    log_retention_days: StrictInt
    """CloudWatch log retention in days."""
    capture_expiration_days: StrictInt
    """Days captured inference data is kept."""

    @property
    def production(self) -> bool:
        return self.mode is Mode.PRODUCTION
