"""promtool and amtool through the harness: they catch real mistakes and pass correct input."""

from __future__ import annotations

import copy

from tests.k8s import prom, samples


def test_a_correct_prometheus_rule_passes_promtool_check_rules():
    result = prom.check_rules(prom.rule_file(samples.prometheus_rule()))
    assert result.ok, result.output
    assert prom.rules_found(result) == 2


def test_a_bad_promql_expression_fails_with_the_rule_named():
    rule = samples.prometheus_rule()
    rule["spec"]["groups"][0]["rules"][1]["expr"] = "sum(rate(mlops_proxy_requests_total[5m]) > 0"
    result = prom.check_rules(prom.rule_file(rule))
    assert not result.ok
    assert any("could not parse expression" in line for line in result.problems), result.output
    assert "churn-dev-churn-classifier-errors" in result.output


def test_duplicate_rules_are_fatal():
    rule = samples.prometheus_rule()
    rules = rule["spec"]["groups"][0]["rules"]
    rules.append(copy.deepcopy(rules[0]))
    assert not prom.check_rules(prom.rule_file(rule)).ok


def _latency_test(expect_firing: bool) -> dict:
    """Five minutes of fast traffic, then every request in the (0.25, 0.5] s bucket."""
    bucket = 'mlops_proxy_request_duration_seconds_bucket{mlops_model="churn-classifier",le="%s"}'
    # Per minute: 60 requests; first 10 minutes all <= 0.1 s, then all between 0.25 and 0.5 s.
    fast, slow = "0+60x10 600+0x20", "0+60x10 600+60x20"
    series = [
        {"series": bucket % "0.1", "values": fast},
        {"series": bucket % "0.25", "values": fast},
        {"series": bucket % "0.5", "values": slow},
        {"series": bucket % "+Inf", "values": slow},
    ]
    firing = {
        "exp_labels": {"severity": "warning", "mlops_action": "rollback"},
    }
    return {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": "9m", "alertname": samples.LATENCY_RULE["alert"], "exp_alerts": []},
            {
                "eval_time": "25m",
                "alertname": samples.LATENCY_RULE["alert"],
                "exp_alerts": [firing] if expect_firing else [],
            },
        ],
    }


def test_a_rule_unit_test_passes_when_the_alert_fires_as_expected():
    result = prom.rule_tests([prom.rule_file(samples.prometheus_rule())], [_latency_test(True)])
    assert result.ok, result.output
    assert "SUCCESS" in result.output


def test_a_failing_rule_unit_test_is_reported():
    result = prom.rule_tests([prom.rule_file(samples.prometheus_rule())], [_latency_test(False)])
    assert not result.ok
    assert "FAILED" in result.output
    assert samples.LATENCY_RULE["alert"] in result.output


def test_amtool_checks_an_alertmanager_configuration_and_routes_alerts():
    config = samples.alertmanager_yml()
    result = prom.check_alertmanager(config)
    assert result.ok, result.output
    assert prom.receivers(config, {"mlops_action": "notify"}) == ["email"]
    assert prom.receivers(config, {"mlops_action": "rollback"}) == ["null"]


def test_amtool_refuses_a_route_to_an_undefined_receiver():
    config = samples.alertmanager_yml()
    config["route"]["routes"][0]["receiver"] = "pager"
    result = prom.check_alertmanager(config)
    assert not result.ok
    assert any('undefined receiver "pager"' in line for line in result.problems), result.output
