"""Guardrails: ML and security rules written once as plain Python over a plan document
(``mlops check``) and wrapped by the CrossGuard pack in ``policy/`` for real previews.

No pulumi import: the rules read resources as data (:class:`Stack`). See docs/guardrails.md.
Names are imported on first use, so registering ``mlops check`` costs no rule import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_spec.guardrails.rule import Rule, Violation
    from mlops_spec.guardrails.rules import RULE_IDS, RULES, CheckResult, check, get_rule
    from mlops_spec.guardrails.stack import (
        COMPUTED,
        Resource,
        Stack,
        from_document,
        production_of_document,
    )

_WHERE = {
    "Rule": "rule",
    "Violation": "rule",
    "RULE_IDS": "rules",
    "RULES": "rules",
    "CheckResult": "rules",
    "check": "rules",
    "get_rule": "rules",
    "COMPUTED": "stack",
    "Resource": "stack",
    "Stack": "stack",
    "from_document": "stack",
    "production_of_document": "stack",
}
__all__ = [
    "COMPUTED",
    "RULES",
    "RULE_IDS",
    "CheckResult",
    "Resource",
    "Rule",
    "Stack",
    "Violation",
    "check",
    "from_document",
    "get_rule",
    "production_of_document",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
