"""Retraining trigger against moto: schedules, alarms, new data, dedup and limits."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from runtime_events import alarm_state_change, scheduled_event, scheduler_payload
from runtime_support import audit_records, boto, create_pipeline, executions

from mlops_runtime import trigger
from mlops_runtime.contract.config import ENV_VAR, TriggerConfig
from mlops_runtime.core import trigger_events
from mlops_runtime.core.clock import UTC

PIPELINE = "churn-retrain"


def make_config(table: str, **model: Any) -> TriggerConfig:
    return TriggerConfig.from_dict(
        {
            "system": "shop",
            "table_name": table,
            "models": {"churn": {"pipeline_name": PIPELINE, **model}},
            "alarms": {"churn-feature-drift": "churn"},
            "data_sources": [
                {"bucket": "shop-data", "prefix": "churn/train/", "models": ["churn"]}
            ],
        }
    )


@pytest.fixture
def config(table: str, monkeypatch: pytest.MonkeyPatch) -> TriggerConfig:
    """The trigger configured through its environment variable, as the Lambda is."""
    create_pipeline(PIPELINE)
    config = make_config(table)
    monkeypatch.setenv(ENV_VAR, config.to_json())
    return config


def decisions(result: dict[str, Any]) -> list[str]:
    return [d["decision"] for d in result["decisions"]]


def at(clock: list[datetime]) -> Any:
    return lambda: clock[0]


def test_scheduler_payload_starts_pipeline_with_reason(config: TriggerConfig) -> None:
    # EventBridge Scheduler would deliver this payload; moto never fires schedules.
    result = trigger.handler(scheduler_payload("churn", "2026-01-05T03:00:00Z"), None)

    assert decisions(result) == ["started"]
    runs = executions(PIPELINE)
    assert len(runs) == 1
    parameters = boto("sagemaker").list_pipeline_parameters_for_execution(
        PipelineExecutionArn=runs[0]["PipelineExecutionArn"]
    )["PipelineParameters"]
    # TriggerId: the run token, which the run's lineage record keeps (docs/lineage.md)
    token = hashlib.sha256(b"schedule#churn#2026-01-05T03:00:00Z").hexdigest()
    assert parameters == [
        {"Name": "TriggerReason", "Value": "schedule:2026-01-05T03:00:00Z"},
        {"Name": "TriggerId", "Value": token},
    ]
    records = audit_records(config.table_name, "trigger", "churn")
    assert [r["decision"] for r in records] == ["started"]
    assert records[0]["execution_arn"] == runs[0]["PipelineExecutionArn"]


def test_a_standard_scheduled_event_is_not_a_retraining_request(config: TriggerConfig) -> None:
    """Schedules reach the trigger through EventBridge Scheduler only (the planner creates no
    EventBridge schedule rule), so a rule's 'Scheduled Event' starts nothing."""
    result = trigger.handler(scheduled_event("churn-nightly", "2026-01-05T03:00:00Z"), None)
    assert decisions(result) == ["ignored"]
    assert executions(PIPELINE) == []


def test_alarm_entering_alarm_retrains_and_other_states_are_ignored(config: TriggerConfig) -> None:
    cloudwatch = boto("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="churn-feature-drift",
        Namespace="MLOps/shop",
        MetricName="DriftScore",
        Dimensions=[{"Name": "Model", "Value": "churn"}, {"Name": "Environment", "Value": "dev"}],
        Statistic="Maximum",
        Period=3600,
        EvaluationPeriods=1,
        Threshold=0.2,
        ComparisonOperator="GreaterThanThreshold",
    )

    def transition(state: str) -> dict[str, Any]:
        # moto never evaluates alarms and emits no event: the test sets the state as CloudWatch
        # would, then delivers the EventBridge event AWS would send for that transition.
        cloudwatch.set_alarm_state(
            AlarmName="churn-feature-drift", StateValue=state, StateReason="test"
        )
        alarm = cloudwatch.describe_alarms(AlarmNames=["churn-feature-drift"])["MetricAlarms"][0]
        return trigger.handler(alarm_state_change(alarm), None)

    assert decisions(transition("ALARM")) == ["started"]
    assert decisions(transition("OK")) == ["ignored"]
    assert len(executions(PIPELINE)) == 1
    stranger = alarm_state_change(
        {
            "AlarmName": "cpu-high",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high",
            "StateValue": "ALARM",
            "StateUpdatedTimestamp": datetime.now(UTC),
        }
    )
    assert decisions(trigger.handler(stranger, None)) == ["ignored"]


def test_real_s3_object_created_events_retrain_only_under_the_prefix(config: TriggerConfig) -> None:
    # These events are genuine: moto's S3 sends them to EventBridge, whose rule targets SQS.
    s3, events, sqs = boto("s3"), boto("events"), boto("sqs")
    s3.create_bucket(Bucket="shop-data")
    s3.put_bucket_notification_configuration(
        Bucket="shop-data", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    queue = sqs.create_queue(QueueName="trigger-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["shop-data"]}},
    }
    events.put_rule(Name="shop-data-created", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="shop-data-created", Targets=[{"Id": "queue", "Arn": queue_arn}])
    s3.put_object(Bucket="shop-data", Key="churn/train/part-0001.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket="shop-data", Key="scratch/notes.txt", Body=b"hello")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 2

    results = [trigger.handler(json.loads(m["Body"]), None) for m in messages]

    assert sorted(d for r in results for d in decisions(r)) == ["ignored", "started"]
    (started,) = [d for r in results for d in r["decisions"] if d["decision"] == "started"]
    assert started["reason"] == "data:s3://shop-data/churn/train/part-0001.csv"
    assert len(executions(PIPELINE)) == 1


def test_hundred_duplicate_events_start_one_execution(config: TriggerConfig) -> None:
    event = scheduler_payload("churn", "2026-01-05T03:00:00Z")
    outcomes = [decisions(trigger.handler(event, None))[0] for _ in range(100)]
    assert outcomes.count("started") == 1
    assert outcomes.count("duplicate") == 99
    assert len(executions(PIPELINE)) == 1


def test_hundred_concurrent_duplicates_start_one_execution(config: TriggerConfig) -> None:
    event = scheduler_payload("churn", "2026-01-05T03:00:00Z")
    trigger.aws_ports(config)  # warm the shared clients before the threads race
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda _: decisions(trigger.handler(event, None))[0], range(100)))
    assert outcomes.count("started") == 1
    assert outcomes.count("duplicate") == 99
    assert len(executions(PIPELINE)) == 1
    records = audit_records(config.table_name, "trigger", "churn")
    assert len(records) == 100


def test_cooldown_blocks_until_it_has_passed(table: str) -> None:
    create_pipeline(PIPELINE)
    config = make_config(table, cooldown_hours=6)
    clients = trigger.aws_ports(config)
    clock = [datetime(2026, 1, 5, 3, 0, tzinfo=UTC)]

    def fire(label: str) -> str:
        event = scheduler_payload("churn", label)
        return decisions(trigger.process(event, config, clients, now=at(clock)))[0]

    assert fire("run-1") == "started"
    clock[0] += timedelta(hours=5)
    assert fire("run-2") == "cooldown"
    clock[0] += timedelta(hours=1, seconds=1)
    assert fire("run-3") == "started"
    assert fire("run-2") == "duplicate"  # a blocked occurrence stays decided
    assert len(executions(PIPELINE)) == 2


def test_daily_limit_counts_runs_per_utc_day(table: str) -> None:
    create_pipeline(PIPELINE)
    config = make_config(table, max_runs_per_day=2)
    clients = trigger.aws_ports(config)
    clock = [datetime(2026, 1, 5, 22, 0, tzinfo=UTC)]
    outcomes = []
    for label in ("a", "b", "c"):
        outcomes += decisions(
            trigger.process(scheduler_payload("churn", label), config, clients, now=at(clock))
        )
    clock[0] += timedelta(hours=3)  # next UTC day
    outcomes += decisions(
        trigger.process(scheduler_payload("churn", "d"), config, clients, now=at(clock))
    )
    assert outcomes == ["started", "started", "daily-limit", "started"]
    records = audit_records(table, "trigger", "churn")
    assert sorted(r["decision"] for r in records) == sorted(outcomes)  # same clock: no order
    (blocked,) = [r for r in records if r["decision"] == "daily-limit"]
    assert blocked["blocked_by"] == "2 run(s) already started on 2026-01-05; limit 2"


def test_concurrent_distinct_events_cannot_exceed_the_daily_limit(table: str) -> None:
    create_pipeline(PIPELINE)
    config = make_config(table, max_runs_per_day=3)
    clients = trigger.aws_ports(config)

    def fire(index: int) -> str:
        event = scheduler_payload("churn", f"occurrence-{index}")
        return decisions(trigger.process(event, config, clients))[0]

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(fire, range(12)))
    assert outcomes.count("started") == 3
    assert outcomes.count("daily-limit") == 9
    assert len(executions(PIPELINE)) == 3


def test_failed_start_is_audited_released_and_retried(table: str) -> None:
    config = make_config(table, cooldown_hours=6)  # the pipeline does not exist yet
    clients = trigger.aws_ports(config)
    event = scheduler_payload("churn", "2026-01-05T03:00:00Z")

    with pytest.raises(trigger.TriggerError, match="pipeline start"):
        trigger.process(event, config, clients)

    create_pipeline(PIPELINE)
    # The claim and the cooldown reservation were given back, so the retried delivery runs.
    assert decisions(trigger.process(event, config, clients)) == ["started"]
    records = audit_records(table, "trigger", "churn")
    assert [r["decision"] for r in records] == ["error", "started"]
    assert "error" in records[0]


def test_unsupported_and_unknown_events_are_ignored_and_audited(config: TriggerConfig) -> None:
    assert decisions(trigger.handler({"source": "aws.ec2", "detail-type": "x"}, None)) == [
        "ignored"
    ]
    assert decisions(trigger.handler(scheduler_payload("nope", "t"), None)) == ["ignored"]
    records = audit_records(config.table_name, "trigger", None)
    assert [r["decision"] for r in records] == ["ignored", "ignored"]
    assert executions(PIPELINE) == []


# botocore's CustomerMetadataValue (the register step stores TriggerReason as package metadata
# "mlops:trigger"): max 256, pattern below (Java regex classes; the `regex` module has them).
METADATA_VALUE = r"[\p{L}\p{Z}\p{N}_.:\/=+\-@]*"
HOSTILE_KEYS = [
    "churn/train/" + "a" * 1100 + ".csv",  # S3 keys are up to 1024 bytes
    "churn/train/part 0001 (copy) [final]!.csv",
    "churn/train/naïve/日本語/ß/données#1?.parquet",
    "churn/train/new\nline\ttab\x00nul\x7f.csv",
    "churn/train/emoji-\U0001f600-\U0001d518.csv",  # outside the BMP: two UTF-16 units each
    "churn/train/e\u0301-combining\u200b-zero-width\u2028-separator.csv",
    "churn/train/" + "\U0001f600" * 400,
    "churn/train/<script>alert('x')</script>&$%*{}|\\^~`\"';.csv",
]


def _conforms(value: str) -> bool:
    import regex  # a dev dependency: AWS patterns use \p{L} classes

    utf16 = len(value.encode("utf-16-le")) // 2
    return 1 <= utf16 <= 256 and regex.fullmatch(METADATA_VALUE, value) is not None


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_data_reasons_of_hostile_keys_fit_the_package_metadata(key: str) -> None:
    config = make_config("table")
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "id": "e1",
        "detail": {"bucket": {"name": "shop-data"}, "object": {"key": key, "etag": "x"}},
    }
    (request,) = trigger_events.interpret(event, config, datetime(2026, 1, 5, tzinfo=UTC))
    assert isinstance(request, trigger_events.Request)
    assert request.reason == f"data:s3://shop-data/{key}"  # the audit keeps the raw reason
    value = trigger_events.pipeline_reason(request.reason)
    assert _conforms(value), value
    assert value.startswith("data:s3://shop-data/churn/train/")
    if len(key) > 300 and key.isascii():
        assert value.endswith(key[-20:])  # the object's name survives truncation


def test_reasons_that_already_conform_are_kept() -> None:
    for reason in (
        "schedule:2026-01-05T03:00:00Z",
        "alarm:shop-prod-churn-feature-drift",
        "schedule:churn-nightly@2026-01-05T03:00:00Z",
        "data:s3://shop-data/churn/train/part-0001.csv",
        "manual",
    ):
        assert trigger_events.pipeline_reason(reason) == reason
        assert _conforms(reason)
    assert _conforms(trigger_events.pipeline_reason("x" * 5000))  # no kind at all
    assert _conforms(trigger_events.pipeline_reason("k" * 300 + ":" + "d" * 300))


def test_the_started_execution_gets_the_conforming_reason(config: TriggerConfig) -> None:
    key = "churn/train/" + "é/\n" * 400 + "part.csv"
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "id": "e2",
        "detail": {"bucket": {"name": "shop-data"}, "object": {"key": key, "etag": "y"}},
    }
    assert decisions(trigger.handler(event, None)) == ["started"]
    (run,) = executions(PIPELINE)
    parameter, _trigger_id = boto("sagemaker").list_pipeline_parameters_for_execution(
        PipelineExecutionArn=run["PipelineExecutionArn"]
    )["PipelineParameters"]
    assert parameter["Name"] == "TriggerReason"
    assert _conforms(parameter["Value"]) and parameter["Value"].endswith("part.csv")
