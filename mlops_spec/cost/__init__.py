"""Monthly cost of a stack from its plan and a price table the team commits.

The package ships no prices: ``mlops prices fetch`` reads the AWS Price List with the user's
credentials and writes the table (:mod:`mlops_spec.cost.prices`); :func:`estimate` prices a
``DeploymentPlan`` or a plan document with it. See docs/cost.md.

Names are imported on first use, so registering the CLI commands costs no planner import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_spec.cost.estimator import CostEstimate, CostItem, estimate
    from mlops_spec.cost.frequency import HOURS_PER_MONTH, runs_per_month
    from mlops_spec.cost.prices import PRICES_FILE, Price, PriceTable, parse_prices, read_prices
    from mlops_spec.cost.usage import USAGE_FILE, ModelUsage, Usage, read_usage

_WHERE = {
    "CostEstimate": "estimator",
    "CostItem": "estimator",
    "estimate": "estimator",
    "HOURS_PER_MONTH": "frequency",
    "runs_per_month": "frequency",
    "PRICES_FILE": "prices",
    "Price": "prices",
    "PriceTable": "prices",
    "parse_prices": "prices",
    "read_prices": "prices",
    "USAGE_FILE": "usage",
    "ModelUsage": "usage",
    "Usage": "usage",
    "read_usage": "usage",
}
__all__ = [
    "HOURS_PER_MONTH",
    "PRICES_FILE",
    "USAGE_FILE",
    "CostEstimate",
    "CostItem",
    "ModelUsage",
    "Price",
    "PriceTable",
    "Usage",
    "estimate",
    "parse_prices",
    "read_prices",
    "read_usage",
    "runs_per_month",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
