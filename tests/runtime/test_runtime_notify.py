"""Alarm notifier against moto (SSM SecureString, SNS -> SQS) and a real local webhook server.

moto stores the alarm and the topic but never evaluates alarms or invokes Lambda: the test sets
the alarm state, builds the notification CloudWatch would publish from ``describe_alarms``,
publishes it to a real (moto) topic, reads the SNS envelope from an SQS subscription and hands
it to the handler as the Lambda service would (``Records[].Sns``). The webhook is a real HTTP
server on 127.0.0.1 that records every request and answers with scripted statuses.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from runtime_support import ACCOUNT, REGION, boto

from mlops_runtime import notify
from mlops_runtime.contract.config import ENV_VAR, NotifyConfig
from mlops_runtime.core.logs import JsonFormatter

PARAMETER = "/shop/alerts/webhook-url"
SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxb-very-secret-token"
ALARM = "shop-dev-churn-p99-latency"


class Webhook:
    """A chat webhook on 127.0.0.1: records requests, answers with queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner.lock:
                    owner.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    status = owner.statuses.pop(0) if owner.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def texts(self) -> list[str]:
        return [json.loads(r["body"])["text"] for r in self.requests]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff waits the notifier asked for (not slept, to keep the tests fast)."""
    waits: list[float] = []
    monkeypatch.setattr(notify, "sleep", waits.append)
    return waits


@pytest.fixture
def logs() -> Iterator[list[logging.LogRecord]]:
    """Every record the runtime logs (its logger does not propagate to the root)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    root = logging.getLogger("mlops_runtime")
    notify.LOGGER.info("start")  # sets the runtime's logging up before we attach
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def configure(monkeypatch: pytest.MonkeyPatch, url: str, **changes: Any) -> NotifyConfig:
    """The parameter in SSM (SecureString, default aws/ssm key) and the function's config."""
    boto("ssm").put_parameter(Name=PARAMETER, Value=url, Type="SecureString", Overwrite=True)
    config = NotifyConfig(system="shop", environment="dev", webhook_parameter=PARAMETER, **changes)
    monkeypatch.setenv(ENV_VAR, config.to_json())
    notify.forget_webhook_url()
    return config


def alarm_in_state(state: str, reason: str) -> dict[str, Any]:
    """A real (moto) metric alarm moved to ``state``, as describe_alarms reports it."""
    cloudwatch = boto("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        AlarmDescription="p99 latency of churn above 250 ms",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=[{"Name": "EndpointName", "Value": "shop-dev-churn"}],
        ExtendedStatistic="p99",
        Period=60,
        EvaluationPeriods=3,
        Threshold=250_000,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue=state, StateReason=reason)
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    return dict(alarm)


def alarm_notification(alarm: dict[str, Any], old_state: str) -> str:
    """The JSON message CloudWatch publishes to an alarm action's topic (moto does not)."""
    return json.dumps(
        {
            "AlarmName": alarm["AlarmName"],
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": ACCOUNT,
            "AlarmConfigurationUpdatedTimestamp": "2026-01-05T10:00:00.000+0000",
            "NewStateValue": alarm["StateValue"],
            "NewStateReason": alarm["StateReason"],
            "StateChangeTime": alarm["StateUpdatedTimestamp"].strftime(
                "%Y-%m-%dT%H:%M:%S.000+0000"
            ),
            "Region": "US East (N. Virginia)",
            "AlarmArn": alarm["AlarmArn"],
            "OldStateValue": old_state,
            "OKActions": [],
            "AlarmActions": [],
            "InsufficientDataActions": [],
            "Trigger": {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "ExtendedStatistic": "p99",
                "Period": 60,
                "EvaluationPeriods": 3,
                "ComparisonOperator": alarm["ComparisonOperator"],
                "Threshold": alarm["Threshold"],
            },
        }
    )


def sns_event(message: str, subject: str | None = None) -> dict[str, Any]:
    """``message`` published to a real (moto) topic, delivered to SQS, and wrapped as the
    Lambda service wraps an SNS delivery."""
    sns, sqs = boto("sns"), boto("sqs")
    topic = sns.create_topic(Name="shop-dev-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="notify-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic, Message=message, **({"Subject": subject} if subject else {}))
    (received,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(received["Body"])
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription["SubscriptionArn"],
                "Sns": {
                    "Type": envelope["Type"],
                    "MessageId": envelope["MessageId"],
                    "TopicArn": envelope["TopicArn"],
                    "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"],
                    "Timestamp": envelope["Timestamp"],
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Signature": envelope.get("Signature", ""),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "MessageAttributes": {},
                },
            }
        ]
    }


def alarm_event(state: str = "ALARM", old: str = "OK") -> dict[str, Any]:
    alarm = alarm_in_state(state, "Threshold Crossed: 3 datapoints [310000.0] > 250000.0")
    return sns_event(alarm_notification(alarm, old), subject=f'{state}: "{ALARM}" in US East')


def test_alarm_notification_is_delivered_with_its_essentials(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, webhook.url)

    result = notify.handler(alarm_event(), None)

    assert result == {"delivered": 1, "failed": 0}
    (request,) = webhook.requests
    assert request["path"] == SECRET_PATH
    assert request["headers"]["Content-Type"] == "application/json"
    (text,) = webhook.texts()
    lines = text.splitlines()
    assert lines[0] == f":rotating_light: *ALARM* (was OK): {ALARM}"
    assert lines[1] == "p99 latency of churn above 250 ms"
    assert lines[2] == "> Threshold Crossed: 3 datapoints [310000.0] &gt; 250000.0"  # a quote
    assert lines[3].startswith("shop / dev · 20")
    assert lines[4] == (
        f"<https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        f"#alarmsV2:alarm/{ALARM}|Open in CloudWatch>"
    )


def test_recovery_and_composite_alarms(webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, webhook.url)
    notify.handler(alarm_event("OK", "ALARM"), None)
    # moto has no composite alarms (HTTP 500): the message is the documented shape.
    composite = {
        "AlarmName": "shop-dev-churn-health",
        "AlarmDescription": "churn is unhealthy",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "arn:aws:cloudwatch:... transitioned to ALARM",
        "StateChangeTime": "2026-01-05T10:00:00.000+0000",
        "AlarmArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:shop-dev-churn-health",
        "AlarmRule": 'ALARM("a") OR ALARM("b")',
        "TriggeringChildren": [
            {
                "Arn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{ALARM}",
                "State": {"Value": "ALARM", "Timestamp": "2026-01-05T09:59:00.000+0000"},
            }
        ],
    }
    notify.handler(sns_event(json.dumps(composite)), None)

    ok, health = webhook.texts()
    assert ok.startswith(f":white_check_mark: *OK* (was ALARM): {ALARM}")
    assert health.startswith(":rotating_light: *ALARM* (was OK): shop-dev-churn-health")
    assert f"Triggered by: {ALARM}" in health
    assert "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1" in health


def test_any_other_message_is_delivered_as_text(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, webhook.url)

    notify.handler(sns_event("Deploy of churn v7 <rolled back> & paged", "Rollback"), None)
    notify.handler(sns_event(json.dumps({"source": "custom", "n": 1})), None)

    plain, structured = webhook.texts()
    assert plain.splitlines() == [
        ":information_source: *Rollback*",
        "Deploy of churn v7 &lt;rolled back&gt; &amp; paged",
        "shop / dev",
    ]
    assert structured.splitlines()[1] == '{"n":1,"source":"custom"}'


def test_transient_failures_are_retried_with_backoff(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    configure(monkeypatch, webhook.url)
    webhook.statuses = [500, 503]

    result = notify.handler(alarm_event(), None)

    assert result == {"delivered": 1, "failed": 0}
    assert len(webhook.requests) == 3
    assert len({r["body"] for r in webhook.requests}) == 1  # the same message each time
    assert sleeps == [notify.BACKOFF_SECONDS, 2 * notify.BACKOFF_SECONDS]


def test_permanent_failure_raises_after_max_attempts(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    configure(monkeypatch, webhook.url, max_attempts=4)
    webhook.statuses = [500] * 10

    with pytest.raises(notify.NotifyError, match="1 of 1 notification"):
        notify.handler(alarm_event(), None)
    assert len(webhook.requests) == 4 and len(sleeps) == 3


def test_client_errors_are_not_retried(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    configure(monkeypatch, webhook.url)
    webhook.statuses = [404]

    with pytest.raises(notify.NotifyError):
        notify.handler(alarm_event(), None)
    assert len(webhook.requests) == 1 and sleeps == []


def test_network_errors_are_retried_then_raise(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    closed = webhook.url
    webhook.server.shutdown()
    webhook.server.server_close()  # nothing listens on the port any more
    configure(monkeypatch, closed, max_attempts=2)

    with pytest.raises(notify.NotifyError):
        notify.handler(alarm_event(), None)
    assert len(sleeps) == 1


def test_url_is_cached_and_reread_after_a_failure(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, webhook.url, max_attempts=1)
    event = alarm_event()
    notify.handler(event, None)
    rotated = webhook.url.replace("xoxb-very-secret-token", "rotated-token")
    boto("ssm").put_parameter(Name=PARAMETER, Value=rotated, Type="SecureString", Overwrite=True)

    notify.handler(event, None)  # the cached URL: still the old path
    webhook.statuses = [410]  # the old URL was revoked
    with pytest.raises(notify.NotifyError):
        notify.handler(event, None)
    notify.handler(event, None)  # the retry re-reads the parameter

    assert [r["path"] for r in webhook.requests] == [SECRET_PATH] * 3 + [
        SECRET_PATH.replace("xoxb-very-secret-token", "rotated-token")
    ]


def test_the_url_never_reaches_logs_or_errors(
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
    logs: list[logging.LogRecord],
    sleeps: list[float],
) -> None:
    configure(monkeypatch, webhook.url)
    webhook.statuses = [502, 200, 500, 500, 500]
    notify.handler(alarm_event(), None)
    with pytest.raises(notify.NotifyError) as failed:
        notify.handler(alarm_event(), None)

    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in logs) + str(failed.value)
    assert "notification delivered" in text and "notification not delivered" in text
    assert "HTTP 502" in text and "retrying" in text
    for secret in (webhook.url, SECRET_PATH, "xoxb-very-secret-token"):
        assert secret not in text
    assert failed.value.__cause__ is None and failed.value.__context__ is None


def test_a_plain_http_url_to_another_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, "http://hooks.example.com" + SECRET_PATH)

    with pytest.raises(notify.NotifyError, match=f"{PARAMETER} does not hold an https://") as e:
        notify.handler(alarm_event(), None)
    assert SECRET_PATH not in str(e.value)


def test_an_event_without_records_delivers_nothing(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, webhook.url)

    assert notify.handler({}, None) == {"delivered": 0, "failed": 0}
    assert webhook.requests == []


def test_console_links_follow_the_partition() -> None:
    cn = notify.console_link("a b", "arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a b", "")
    assert cn == (
        "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1"
        "#alarmsV2:alarm/a%20b"
    )
    gov = notify.console_link("x", "", "arn:aws-us-gov:sns:us-gov-west-1:1:t")
    assert gov and gov.startswith("https://console.amazonaws-us-gov.com/")
    assert notify.console_link("x", "", "") is None
