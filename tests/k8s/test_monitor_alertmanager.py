"""The stack's AlertmanagerConfig: valid against the vendored CRD, and, converted to an
Alertmanager configuration as the Prometheus Operator does it (receivers named
``<namespace>/<name>/<receiver>``, the namespace matcher added to the top route, secrets
resolved), accepted by ``amtool check-config`` and routing each action where the AWS
alarms' actions go (``amtool config routes test``)."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_spec.plan.k8s.alertmanager import plan_alertmanager
from mlops_spec.plan.k8s.monitors import MonitorCluster, SmtpSettings
from tests.k8s import harness, prom
from tests.k8s.monitor_support import CLUSTER, FULL_SPEC, k8s_plan

SECRETS = {("ml-alerts", "slack-webhook-url"): "https://hooks.slack.example/services/T0/B0/x"}
GLOBAL = {"smtp_smarthost": "smtp.example.com:587", "smtp_from": "alertmanager@example.com"}


def _matchers(matchers: list[dict[str, str]]) -> list[str]:
    return [f'{m["name"]}{m.get("matchType", "=")}"{m["value"]}"' for m in matchers]


def _route(route: dict[str, Any], prefix: str) -> dict[str, Any]:
    known = {
        "receiver",
        "matchers",
        "continue",
        "groupBy",
        "groupWait",
        "groupInterval",
        "repeatInterval",
        "routes",
    }
    assert set(route) <= known, set(route) - known  # a field this converter would drop
    out: dict[str, Any] = {"receiver": f"{prefix}/{route['receiver']}"}
    if route.get("matchers"):
        out["matchers"] = _matchers(route["matchers"])
    for key, target in (
        ("groupBy", "group_by"),
        ("groupWait", "group_wait"),
        ("groupInterval", "group_interval"),
        ("repeatInterval", "repeat_interval"),
        ("continue", "continue"),
    ):
        if key in route:
            out[target] = route[key]
    if route.get("routes"):
        out["routes"] = [_route(r, prefix) for r in route["routes"]]
    return out


def _receiver(receiver: dict[str, Any], prefix: str) -> dict[str, Any]:
    assert set(receiver) <= {"name", "emailConfigs", "slackConfigs", "webhookConfigs"}, receiver
    out: dict[str, Any] = {"name": f"{prefix}/{receiver['name']}"}
    for email in receiver.get("emailConfigs", []):
        assert set(email) <= {"to", "sendResolved"}, email
        out.setdefault("email_configs", []).append(
            {"to": email["to"], "send_resolved": email["sendResolved"]}
        )
    for slack in receiver.get("slackConfigs", []):
        url = SECRETS[(slack["apiURL"]["name"], slack["apiURL"]["key"])]
        out.setdefault("slack_configs", []).append(
            {"api_url": url, "send_resolved": slack["sendResolved"]}
        )
    for hook in receiver.get("webhookConfigs", []):
        out.setdefault("webhook_configs", []).append(
            {"url": hook["url"], "send_resolved": hook["sendResolved"]}
        )
    return out


def alertmanager_yml(config: dict[str, Any]) -> dict[str, Any]:
    """What the operator generates from one AlertmanagerConfig (and a global route)."""
    meta = config["metadata"]
    prefix = f"{meta['namespace']}/{meta['name']}"
    route = _route(config["spec"]["route"], prefix)
    route["matchers"] = [f'namespace="{meta["namespace"]}"', *route.get("matchers", [])]
    route["continue"] = True
    return {
        "global": GLOBAL,
        "route": {"receiver": "default", "routes": [route]},
        "receivers": [
            {"name": "default"},
            *(_receiver(r, prefix) for r in config["spec"]["receivers"]),
        ],
    }


def _labels(action: str, namespace: str = "ml-shop") -> dict[str, str]:
    return {
        "namespace": namespace,
        "mlops_model": "rt",
        "mlops_monitor": "m",
        "mlops_action": action,
        "severity": "warning",
        "alertname": "full-prod-rt-m",
    }


def routes_of(config: dict[str, Any]) -> dict[str, list[str]]:
    yml = alertmanager_yml(config)
    checked = prom.check_alertmanager(yml)
    assert checked.ok, checked.output
    return {
        action: prom.receivers(yml, _labels(action)) for action in ("notify", "retrain", "rollback")
    }


def test_production_routes_every_alert_to_people_and_retrain_also_to_the_controller() -> None:
    _, plan = k8s_plan(FULL_SPEC, "prod")
    config = plan.alertmanager.manifest()
    assert harness.errors([config]) == []
    people, controller = "ml-shop/full-prod/people", "ml-shop/full-prod/controller"
    assert routes_of(config) == {
        "notify": [people],
        "retrain": [controller, people],
        "rollback": [people],
    }


def test_where_alarm_actions_are_disabled_nobody_is_paged_but_retraining_still_starts() -> None:
    _, plan = k8s_plan(FULL_SPEC, "dev")
    assert not plan.alertmanager.pages_people
    null, controller = "ml-shop/full-dev/null", "ml-shop/full-dev/controller"
    assert routes_of(plan.alertmanager.manifest()) == {
        "notify": [null],
        "retrain": [controller],
        "rollback": [null],
    }


def test_without_a_controller_retrain_alerts_reach_people_only() -> None:
    cluster = MonitorCluster(**{**CLUSTER.__dict__, "controller_webhook_url": None})
    config = plan_alertmanager("full-prod", cluster, ("ml@example.com",), True).manifest()
    assert harness.errors([config]) == []
    assert routes_of(config)["retrain"] == ["ml-shop/full-prod/people"]


def test_alerts_of_other_namespaces_and_without_a_model_are_not_ours() -> None:
    _, plan = k8s_plan(FULL_SPEC, "prod")
    yml = alertmanager_yml(plan.alertmanager.manifest())
    assert prom.receivers(yml, _labels("notify", namespace="other")) == ["default"]
    assert prom.receivers(yml, {"namespace": "ml-shop", "alertname": "KubePodCrashLooping"}) == [
        "default"
    ]


def test_receivers_reference_secrets_never_the_url() -> None:
    _, plan = k8s_plan(FULL_SPEC, "prod")
    (people,) = [
        r for r in plan.alertmanager.manifest()["spec"]["receivers"] if r["name"] == "people"
    ]
    assert people["slackConfigs"] == [
        {"apiURL": {"name": "ml-alerts", "key": "slack-webhook-url"}, "sendResolved": True}
    ]
    assert [e["to"] for e in people["emailConfigs"]] == ["oncall@example.com", "lead@example.com"]


@pytest.mark.parametrize("emails", [(), ("a@example.com", "b@example.com")])
def test_people_are_paged_only_when_someone_is_named(emails: tuple[str, ...]) -> None:
    cluster = MonitorCluster(**{**CLUSTER.__dict__, "chat_webhook_secret": None})
    plan = plan_alertmanager("full-prod", cluster, emails, True)
    assert plan.pages_people == bool(emails)
    assert harness.errors([plan.manifest()]) == []


def test_smtp_settings_reference_the_password_by_secret() -> None:
    smtp = SmtpSettings("smtp.example.com:587", "ml@example.com", "ml", ("smtp", "password"))
    cluster = MonitorCluster(**{**CLUSTER.__dict__, "smtp": smtp})
    config = plan_alertmanager("full-prod", cluster, ("a@example.com",), True).manifest()
    assert harness.errors([config]) == []
    (people,) = [r for r in config["spec"]["receivers"] if r["name"] == "people"]
    assert people["emailConfigs"] == [
        {
            "to": "a@example.com",
            "sendResolved": True,
            "smarthost": "smtp.example.com:587",
            "from": "ml@example.com",
            "authUsername": "ml",
            "authPassword": {"name": "smtp", "key": "password"},
        }
    ]
