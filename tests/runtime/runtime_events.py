"""EventBridge events as AWS delivers them, for the parts moto does not play.

moto never evaluates alarms, fires schedules or emits SageMaker registry events, so the tests
build those events here, field for field as documented by AWS. (S3 "Object Created" events are
real: moto delivers them to EventBridge and on to an SQS queue the tests read.)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from runtime_support import ACCOUNT, REGION


def _envelope(
    source: str, detail_type: str, resources: list[str], detail: dict[str, Any], time: str
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def _cw_time(moment: datetime) -> str:
    """CloudWatch's state timestamp format, e.g. 2019-10-02T17:04:40.985+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def alarm_state_change(alarm: dict[str, Any], previous: str = "OK") -> dict[str, Any]:
    """The 'CloudWatch Alarm State Change' event for an alarm from ``describe_alarms``."""
    updated = alarm["StateUpdatedTimestamp"]
    detail = {
        "alarmName": alarm["AlarmName"],
        "configuration": {"description": alarm.get("AlarmDescription", ""), "metrics": []},
        "previousState": {"reason": "", "timestamp": _cw_time(updated), "value": previous},
        "state": {
            "reason": alarm.get("StateReason", ""),
            "reasonData": alarm.get("StateReasonData", "{}"),
            "timestamp": _cw_time(updated),
            "value": alarm["StateValue"],
        },
    }
    return _envelope(
        "aws.cloudwatch",
        "CloudWatch Alarm State Change",
        [alarm["AlarmArn"]],
        detail,
        updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def scheduler_payload(model: str, scheduled_time: str) -> dict[str, Any]:
    """The input EventBridge Scheduler delivers (context attributes already substituted)."""
    return {"source": "mlops.schedule", "model": model, "scheduled_time": scheduled_time}


def scheduled_event(rule: str, time: str) -> dict[str, Any]:
    """A standard EventBridge rule 'Scheduled Event'."""
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"
    return _envelope("aws.events", "Scheduled Event", [arn], {}, time)


def model_package_state_change(package: dict[str, Any]) -> dict[str, Any]:
    """The 'SageMaker Model Package State Change' event for ``describe_model_package`` output."""
    detail = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in package.items()
        if key != "ResponseMetadata"
    }
    return _envelope(
        "aws.sagemaker",
        "SageMaker Model Package State Change",
        [package["ModelPackageArn"]],
        detail,
        datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def endpoint_state_change(endpoint: dict[str, Any], status: str = "IN_SERVICE") -> dict[str, Any]:
    """The 'SageMaker Endpoint State Change' event for ``describe_endpoint`` output (moto never
    emits it; AWS sends one on every status change, with the status in upper snake case)."""
    detail = {
        "EndpointName": endpoint["EndpointName"],
        "EndpointArn": endpoint["EndpointArn"],
        "EndpointConfigName": endpoint["EndpointConfigName"],
        "EndpointStatus": status,
        "CreationTime": int(endpoint["CreationTime"].timestamp() * 1000),
        "LastModifiedTime": int(endpoint["LastModifiedTime"].timestamp() * 1000),
        "Tags": {},
    }
    return _envelope(
        "aws.sagemaker",
        "SageMaker Endpoint State Change",
        [endpoint["EndpointArn"]],
        detail,
        datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
