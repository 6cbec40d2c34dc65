"""Shared helpers for the offline preview tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from preview_programs import BASE_CONFIG, PROJECT, platform

from mlops_preview import PlanDocument, preview


@pytest.fixture
def plan() -> Callable[..., PlanDocument]:
    """``plan(stack="dev", program=platform, **config)`` -> PlanDocument."""

    def run(
        stack: str = "dev", program: Callable[[], None] = platform, **config: Any
    ) -> PlanDocument:
        return preview(program, project=PROJECT, stack=stack, config={**BASE_CONFIG, **config})

    return run
