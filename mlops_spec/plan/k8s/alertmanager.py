"""The stack's ``AlertmanagerConfig`` (``monitoring.coreos.com/v1alpha1``): where the models'
alerts go, by their ``mlops_action`` label.

As on AWS, where every alarm notifies the alarm topic and a ``retrain`` alarm also starts the
trigger through an EventBridge rule that ignores ``alarm_actions_enabled``:

- ``retrain`` alerts go to the loop controller's Alertmanager webhook (issue 13), then on;
- every alert goes to the people receiver: ``notifications.emails`` and a Slack-compatible
  chat webhook (its URL only by Secret reference), unless the environment disables alarm
  actions: then the people route does not exist and nobody is paged;
- everything else ends in the ``null`` receiver.

``rollback`` needs no route: the Rollout's analysis reads the firing alerts from Prometheus.
The Prometheus Operator adds a ``namespace`` matcher to the top route, so only alerts
labelled with the stack's namespace (every alert here is) reach this configuration; the top
route also requires ``mlops_model``, so other alerts of the namespace are not ours to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_spec.plan.k8s.monitors import MonitorCluster, SmtpSettings, check_name

API = "monitoring.coreos.com/v1alpha1"
NULL = "null"
PEOPLE = "people"
CONTROLLER = "controller"
GROUP_BY = ("alertname", "mlops_model")
TIMING = {"groupWait": "30s", "groupInterval": "5m", "repeatInterval": "4h"}


def _matcher(name: str, value: str, match: str = "=") -> dict[str, str]:
    return {"name": name, "value": value, "matchType": match}


@dataclass(frozen=True)
class AlertmanagerConfigPlan:
    """One per stack."""

    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    emails: tuple[str, ...]
    chat_secret: tuple[str, str] | None
    controller_url: str | None
    people_paged: bool
    """False where alarm actions are disabled: no people route."""
    smtp: SmtpSettings | None = None
    """How e-mail is sent; None: the Alertmanager's global SMTP settings."""

    @property
    def pages_people(self) -> bool:
        return self.people_paged and bool(self.emails or self.chat_secret)

    def manifest(self) -> dict[str, Any]:
        routes = []
        receivers: list[dict[str, Any]] = [{"name": NULL}]
        if self.controller_url:
            routes.append(
                {
                    "receiver": CONTROLLER,
                    "matchers": [_matcher("mlops_action", "retrain")],
                    "continue": True,
                }
            )
            receivers.append(
                {
                    "name": CONTROLLER,
                    "webhookConfigs": [{"url": self.controller_url, "sendResolved": False}],
                }
            )
        if self.pages_people:
            routes.append({"receiver": PEOPLE, "matchers": [_matcher("mlops_model", ".+", "=~")]})
            receivers.append(self._people())
        route = {
            "receiver": NULL,
            "matchers": [_matcher("mlops_model", ".+", "=~")],
            "groupBy": list(GROUP_BY),
            **TIMING,
            "routes": routes,
        }
        return {
            "apiVersion": API,
            "kind": "AlertmanagerConfig",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "mlops-spec", **dict(self.labels)},
            },
            "spec": {"route": route, "receivers": receivers},
        }

    def _people(self) -> dict[str, Any]:
        receiver: dict[str, Any] = {"name": PEOPLE}
        if self.emails:
            receiver["emailConfigs"] = [self._email(to) for to in self.emails]
        if self.chat_secret:
            secret, key = self.chat_secret
            receiver["slackConfigs"] = [
                {"apiURL": {"name": secret, "key": key}, "sendResolved": True}
            ]
        return receiver

    def _email(self, to: str) -> dict[str, Any]:
        email: dict[str, Any] = {"to": to, "sendResolved": True}
        if self.smtp is not None:
            email.update(smarthost=self.smtp.smarthost, **{"from": self.smtp.sender})
            if self.smtp.username:
                email["authUsername"] = self.smtp.username
            if self.smtp.password_secret:
                secret, key = self.smtp.password_secret
                email["authPassword"] = {"name": secret, "key": key}
        return email


def plan_alertmanager(
    name: str, cluster: MonitorCluster, emails: tuple[str, ...], actions_enabled: bool
) -> AlertmanagerConfigPlan:
    """The stack's AlertmanagerConfig; ``name``: the stack's prefix (``Names.prefix``)."""
    return AlertmanagerConfigPlan(
        name=check_name(name, "AlertmanagerConfig name"),
        namespace=cluster.namespace,
        labels=cluster.alertmanager_labels,
        emails=emails,
        chat_secret=cluster.chat_webhook_secret,
        controller_url=cluster.controller_webhook_url,
        people_paged=actions_enabled,
        smtp=cluster.smtp,
    )
