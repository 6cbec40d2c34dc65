"""``notifications``: where alarms and loop events are sent. Secrets only by reference."""

from pydantic import Field

from mlops_spec.models.base import SpecModel
from mlops_spec.types import Email, SnsTopicArn, SsmParameterName


class Notifications(SpecModel):
    """Channels every monitor's alarm notifies (one KMS-encrypted SNS topic per environment)."""

    emails: list[Email] = Field(default_factory=list)
    """E-mail subscriptions on the alarm topic (each must confirm). Default: none — nobody is
    e-mailed."""
    sns_topic_arns: list[SnsTopicArn] = Field(default_factory=list)
    """Existing SNS topics that alarms also notify (e.g. a paging tool). Default: none —
    alarms notify only the system's own topic."""
    webhook_url_ssm_parameter: SsmParameterName | None = None
    """SSM SecureString parameter (a name starting with '/') holding a chat webhook URL.
    Never put the URL itself in the spec. Default: unset — no notifier function is created and
    nothing is posted to chat."""

    @property
    def has_targets(self) -> bool:
        return bool(self.emails or self.sns_topic_arns or self.webhook_url_ssm_parameter)
