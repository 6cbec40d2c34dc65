"""``Notifier`` on SNS: one ``Publish`` to a topic (the system's alarm topic routes it to
e-mail, the chat notifier and paging like any alarm)."""

from __future__ import annotations

from typing import Any

from mlops_runtime.core.ports import Notifier

SUBJECT_LENGTH = 100
"""SNS subjects: at most 100 printable ASCII characters, no line breaks."""


class SnsNotifier(Notifier):
    """Publishes notifications to ``topic_arn``."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self.sns = sns
        self.topic_arn = topic_arn

    def notify(self, subject: str, message: str) -> None:
        printable = "".join(c if " " <= c <= "~" else " " for c in subject).strip()
        self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=printable[:SUBJECT_LENGTH] or "mlops",
            Message=message,
        )
