"""Which series a PromQL expression selects (PyPI's ``promql-parser``, Prometheus's grammar).

For the test that every alert selects a series the proxy (``contract.prometheus``) or the
monitoring job publishes: a typo in a metric name is valid PromQL and passes promtool, but
selects nothing and never fires.
"""

from __future__ import annotations

import promql_parser


def metric_names(expr: str) -> set[str]:
    """The metric name of every vector selector in ``expr``. Raises ``ValueError`` for an
    expression that does not parse, or a selector without an exact name (a regex on
    ``__name__`` cannot be checked against a list of published series)."""
    names: set[str] = set()
    unnamed: list[str] = []

    def visit(node: object) -> None:
        if not isinstance(node, promql_parser.VectorSelector):
            return
        exact = [
            m.value
            for m in node.matchers.matchers
            if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal
        ]
        if node.name:
            names.add(node.name)
        elif exact:
            names.add(exact[0])
        else:
            unnamed.append(node.prettify())

    promql_parser.walk(promql_parser.parse(expr), visit)
    if unnamed:
        raise ValueError(f"selectors without a metric name in {expr!r}: {unnamed}")
    return names
