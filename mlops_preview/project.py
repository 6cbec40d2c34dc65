"""Read a Pulumi project (``Pulumi.yaml``) and a stack's config file the way the CLI does.

Config reaches the program as strings keyed ``<namespace>:<key>`` (a key without a namespace
belongs to the project). Typed YAML values are passed as the CLI passes them: booleans as
``"true"``/``"false"``, numbers as their text, lists and maps as JSON. Encrypted (``secure:``)
values cannot be decrypted offline: they become ``"<secret>"`` and are marked secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from mlops_preview.errors import PreviewError
from mlops_preview.values import SECRET

PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class ProjectInfo:
    """The parts of ``Pulumi.yaml`` a preview needs."""

    root: Path
    name: str
    program: Path
    stack_config_dir: Path
    config: Mapping[str, Any]

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = YAML(typ="safe", pure=True).load(path.read_text())
    except OSError as exc:
        raise PreviewError(f"cannot read {path}: {exc.strerror}") from exc
    except Exception as exc:
        raise PreviewError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PreviewError(f"{path} must hold a mapping, not {type(data).__name__}")
    return data


def load_project(root: Path | str) -> ProjectInfo:
    """Read ``<root>/Pulumi.yaml``: name, ``main`` (default ``.``), ``stackConfigDir``, ``config``."""
    root = Path(root).resolve()
    data = _load_yaml(root / PROJECT_FILE)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise PreviewError(f"{root / PROJECT_FILE} has no project name")
    return ProjectInfo(
        root=root,
        name=name,
        program=(root / str(data.get("main") or ".")).resolve(),
        stack_config_dir=(root / str(data.get("stackConfigDir") or ".")).resolve(),
        config=data.get("config") or {},
    )


def config_value(value: Any) -> str:
    """A YAML config value as the string the CLI hands the program."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def namespaced(config: Mapping[str, Any], project: str) -> dict[str, str]:
    """Config keyed ``<namespace>:<key>``, values as the program sees them."""
    return {
        (key if ":" in key else f"{project}:{key}"): config_value(value)
        for key, value in config.items()
    }


def stack_config(project: ProjectInfo, stack: str) -> tuple[dict[str, str], list[str]]:
    """The config a ``pulumi preview --stack <stack>`` passes: project defaults overlaid by the
    stack file. Returns the config and the keys that are secret."""
    merged: dict[str, Any] = {}
    for key, value in project.config.items():
        if isinstance(value, Mapping):
            if "value" in value:
                merged[key] = value["value"]
            elif "default" in value:
                merged[key] = value["default"]
        else:
            merged[key] = value
    stack_file = project.stack_file(stack)
    if stack_file.exists():
        merged.update(_load_yaml(stack_file).get("config") or {})
    secret_keys = [
        key for key, value in merged.items() if isinstance(value, Mapping) and "secure" in value
    ]
    for key in secret_keys:
        merged[key] = SECRET
    config = namespaced(merged, project.name)
    return config, sorted(key if ":" in key else f"{project.name}:{key}" for key in secret_keys)
