"""The data plane's layout as the import contracts see it, and facts both planes must share."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import mlops_runtime
from mlops_runtime.contract.events import REASON_PARAMETER
from mlops_spec.plan import pipelines

ROOT = Path(__file__).parents[2]
OPEN_TO_THE_CONTROL_PLANE = {"contract", "drift"}


def contract(name: str) -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (found,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == name]
    return {key: value for key, value in found.items() if isinstance(value, list)}


def test_the_control_plane_contract_forbids_every_other_runtime_member() -> None:
    """A new module or package in mlops_runtime must be added to the forbidden list (or be
    meant for the control plane), else the control plane could import it unnoticed."""
    forbidden = contract(
        "The control plane reaches the data plane only through its contract and drift engine"
    )["forbidden_modules"]
    members = {m.name for m in pkgutil.iter_modules(mlops_runtime.__path__)}
    assert members >= OPEN_TO_THE_CONTROL_PLANE
    assert sorted(forbidden) == sorted(
        f"mlops_runtime.{name}" for name in members - OPEN_TO_THE_CONTROL_PLANE
    )


def test_the_lambda_contract_names_the_real_handler_modules() -> None:
    handlers = contract(
        "Lambda handlers need only boto3 (no scientific stack in a function package)"
    )["source_modules"]
    for module in handlers:
        path = ROOT / (module.replace(".", "/") + ".py")
        assert "def handler(" in path.read_text(), module


def test_the_pipeline_parameter_the_trigger_fills_is_the_one_the_planner_declares() -> None:
    assert pipelines.REASON_PARAMETER == REASON_PARAMETER
