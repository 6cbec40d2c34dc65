"""Mode presets: what `mode: development` and `mode: production` decide.

Precedence (lowest first): field defaults < base file < mode preset < environment overlay.
So a preset can make development smaller than the base, and an overlay can still override
any preset value. The table is documented in docs/spec.md ("Presets").
"""

from __future__ import annotations

from typing import Any

from mlops_spec.enums import Mode
from mlops_spec.models.environment import Environment, EnvironmentSettings

POLICY_DEFAULTS: dict[Mode, dict[str, Any]] = {
    Mode.DEVELOPMENT: {
        "protect": False,
        "schedules_enabled": False,
        "alarm_actions_enabled": False,
        "log_retention_days": 14,
        "capture_expiration_days": 7,
    },
    Mode.PRODUCTION: {
        "protect": True,
        "schedules_enabled": True,
        "alarm_actions_enabled": True,
        "log_retention_days": 365,
        "capture_expiration_days": 90,
    },
}


def settings_for(name: str, environment: Environment) -> EnvironmentSettings:
    """The environment policy: explicit values, else the mode's defaults."""
    values = dict(POLICY_DEFAULTS[environment.mode])
    for key in values:
        explicit = getattr(environment, key)
        if explicit is not None:
            values[key] = explicit
    return EnvironmentSettings(name=name, mode=environment.mode, **values)


def preset_layer(base: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """The preset overlay for ``mode`` over the models of ``base`` (development: smaller)."""
    if mode is not Mode.DEVELOPMENT:
        return {}
    models: dict[str, Any] = {}
    declared = base.get("models")
    if not isinstance(declared, dict):  # reported by the base file's validation
        return {}
    for model_id, model in declared.items():
        if not isinstance(model, dict):
            continue
        layer: dict[str, Any] = {"training": {"instance_count": 1, "spot": True}}
        serving = model.get("serving")
        if isinstance(serving, dict) and serving.get("tier") == "realtime":
            # one instance moves no partial traffic: it rolls out all at once
            layer["serving"] = {
                "autoscaling": {"min_instances": 1, "max_instances": 1},
                "rollout": {"strategy": "all_at_once"},
            }
        elif isinstance(serving, dict) and serving.get("tier") == "batch":
            layer["serving"] = {"instance_count": 1}
        models[model_id] = layer
    return {"models": models} if models else {}
