"""The PromQL reader: every series an expression selects, so alerts can be checked against
what the proxy publishes."""

from __future__ import annotations

import pytest

from mlops_runtime.contract import prometheus
from tests.k8s import samples
from tests.k8s.promql import metric_names


def test_the_sample_alerts_select_only_series_the_proxy_publishes():
    for rule in (samples.LATENCY_RULE, samples.ERROR_RULE):
        names = metric_names(rule["expr"])
        assert names and names <= prometheus.published(), rule["alert"]


def test_a_misspelled_metric_is_seen_although_the_expression_is_valid():
    names = metric_names('sum(rate(mlops_proxy_request_total{code=~"5.."}[5m])) > 0')
    assert names == {"mlops_proxy_request_total"}
    assert not names <= prometheus.published()


def test_names_come_from_selectors_anywhere_in_the_expression():
    expr = (
        'sum(rate({__name__="mlops_proxy_requests_total"}[5m])) > 0 '
        'unless on() ALERTS{alertstate="firing"} or absent(up)'
    )
    assert metric_names(expr) == {"mlops_proxy_requests_total", "ALERTS", "up"}


def test_unparsable_expressions_and_unnamed_selectors_are_refused():
    with pytest.raises(ValueError):
        metric_names("sum(rate(x[5m])")
    with pytest.raises(ValueError, match="without a metric name"):
        metric_names('{__name__=~"mlops_.*"}')
