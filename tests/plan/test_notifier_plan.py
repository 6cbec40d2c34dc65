"""The chat-webhook notifier: planned only when the spec names a webhook parameter, with a
least-privilege role, a subscription to the alarm topic and a dead-letter queue."""

from __future__ import annotations

from mlops_runtime.contract.config import NotifyConfig
from mlops_spec.naming import Names
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN, Condition
from mlops_spec.plan.notifier import MAX_ATTEMPTS, TIMEOUT_SECONDS
from tests.plan.conftest import PROD, example, full, mini

PARAMETER = "/mini/alerts/webhook-url"
PARAMETER_ARN = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/mini/alerts/webhook-url"
WEBHOOK = {"emails": ["a@example.com"], "webhook_url_ssm_parameter": PARAMETER}


def test_no_notifier_without_a_webhook() -> None:
    for deployment in (mini(), full("prod"), example("ltv", "prod")):
        assert deployment.monitoring.notifier is None
        key_sids = {s.sid for s in deployment.storage.key.policy.statements}
        assert "AlarmTopicDeadLetterQueue" not in key_sids


def test_the_notifier_subscribes_to_the_alarm_topic() -> None:
    deployment = mini({"notifications": WEBHOOK}, settings=PROD)
    notifier = deployment.monitoring.notifier
    assert notifier is not None
    names = Names("mini", "prod", "eu-west-1")
    function = notifier.function
    assert (function.key, function.name) == ("notify", names.function("notify"))
    assert function.handler == "mlops_runtime.notify.handler"
    assert function.log_group == names.lambda_log_group("notify") == "/aws/lambda/mini-prod-notify"
    assert function.role.name == names.role("notify")
    assert function.timeout_seconds >= MAX_ATTEMPTS * (TIMEOUT_SECONDS + 1)
    assert notifier.topic_arn == deployment.monitoring.topic.arn
    assert (notifier.parameter_name, notifier.parameter_arn) == (PARAMETER, PARAMETER_ARN)
    config = NotifyConfig.from_json(function.config)
    assert config == NotifyConfig(
        system="mini",
        environment="prod",
        webhook_parameter=PARAMETER,
        timeout_seconds=TIMEOUT_SECONDS,
        max_attempts=MAX_ATTEMPTS,
    )


def test_the_notifier_role_is_least_privilege() -> None:
    notifier = mini({"notifications": WEBHOOK}).monitoring.notifier
    assert notifier is not None
    statements = {s.sid: s for s in notifier.function.role.policy.statements}
    assert set(statements) == {
        "ReadRuntimeConfig",
        "ReadParameter",
        "DecryptParameter",
        "UseSystemKey",
        "WriteLogs",
        "DeadLetters",
    }
    config = statements["ReadRuntimeConfig"]  # its configuration object, that key only
    assert config.actions == ("s3:GetObject", "s3:GetObjectVersion")
    assert config.resources == (
        "arn:aws:s3:::acme-mini-dev-artifacts-eu-west-1/code/config/functions/mini-dev-notify.json",
    )
    read = statements["ReadParameter"]
    assert (read.actions, read.resources) == (("ssm:GetParameter",), (PARAMETER_ARN,))
    decrypt = statements["DecryptParameter"]
    assert decrypt.actions == ("kms:Decrypt",)
    assert decrypt.resources == (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*",)
    assert set(decrypt.conditions) == {
        Condition("StringEquals", "kms:ViaService", ("ssm.eu-west-1.amazonaws.com",)),
        Condition("StringEquals", "kms:EncryptionContext:PARAMETER_ARN", (PARAMETER_ARN,)),
    }
    assert statements["UseSystemKey"].resources == (KEY_ARN,)
    assert set(statements["UseSystemKey"].actions) == {"kms:Decrypt", "kms:GenerateDataKey"}
    group = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/mini-dev-notify"
    assert statements["WriteLogs"].resources == (group, f"{group}:log-stream:*")
    assert statements["DeadLetters"].resources == (notifier.queue.arn,)
    assert notifier.function.role.service == "lambda.amazonaws.com"


def test_dead_letters_are_kept_encrypted_and_alarmed() -> None:
    deployment = mini({"notifications": WEBHOOK})
    notifier = deployment.monitoring.notifier
    assert notifier is not None
    queue = notifier.queue
    assert queue.name == "mini-dev-notify-dlq"
    sender, deny = queue.policy.statements
    assert sender.principals == (("Service", "sns.amazonaws.com"),)
    assert sender.actions == ("sqs:SendMessage",) and sender.resources == (queue.arn,)
    assert sender.conditions == (
        Condition("ArnEquals", "aws:SourceArn", (deployment.monitoring.topic.arn,)),
    )
    assert deny.effect == "Deny" and deny.conditions[0].key == "aws:SecureTransport"
    assert queue.alarm.name == "mini-dev-notify-dlq"
    assert queue.alarm.metric.dimensions == (("QueueName", queue.name),)
    # SNS may use the system key to put undeliverable notifications in the encrypted queue,
    # for this account and this topic only.
    (sns,) = [
        s
        for s in deployment.storage.key.policy.statements
        if s.principals == (("Service", "sns.amazonaws.com"),)
    ]
    assert set(sns.conditions) == {
        Condition("StringEquals", "aws:SourceAccount", (ACCOUNT,)),
        Condition("ArnEquals", "aws:SourceArn", (deployment.monitoring.topic.arn,)),
    }


def test_the_churn_example_delivers_to_its_webhook() -> None:
    notifier = example("churn", "prod").monitoring.notifier
    assert notifier is not None and notifier.parameter_name == "/churn/alerts/webhook-url"


def test_service_grants_of_the_key_policy_are_guarded_against_confused_deputies() -> None:
    """Every statement that lets an AWS service use the key names our account: in
    aws:SourceAccount, or (CloudWatch Logs) in the log-group encryption context."""
    for deployment in (full("prod"), example("churn", "prod"), mini({"notifications": WEBHOOK})):
        for statement in deployment.storage.key.policy.statements:
            services = [v for kind, v in statement.principals if kind == "Service"]
            if not services:
                continue
            conditions = {c.key: c for c in statement.conditions}
            if services[0].startswith("logs."):
                context = conditions["kms:EncryptionContext:aws:logs:arn"]
                assert context.operator == "ArnLike"
                assert all(
                    v.startswith(f"arn:aws:logs:{deployment.region}:{ACCOUNT}:log-group:")
                    for v in context.values
                ), statement
            else:
                source = conditions["aws:SourceAccount"]
                assert (source.operator, source.values) == ("StringEquals", (ACCOUNT,)), statement
