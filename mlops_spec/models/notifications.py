"""``notifications``: where alarms and loop events are sent. Secrets only by reference."""

from pydantic import Field

from mlops_spec.models.base import SpecModel
from mlops_spec.types import Email, SnsTopicArn, SsmParameterName


class Notifications(SpecModel):
    """Channels every monitor's alarm notifies (one KMS-encrypted SNS topic per environment)."""

    emails: list[Email] = Field(default_factory=list)
    """E-mail subscriptions on the alarm topic (each must confirm). Default: none."""
    sns_topic_arns: list[SnsTopicArn] = Field(default_factory=list)
    """Existing SNS topics that alarms also notify (e.g. a paging tool). Default: none."""
    webhook_url_ssm_parameter: SsmParameterName | None = None
    """SSM SecureString parameter holding a chat webhook URL. Never put the URL itself in the
    spec. Default: unset (no webhook)."""

    @property
    def has_targets(self) -> bool:
        return bool(self.emails or self.sns_topic_arns or self.webhook_url_ssm_parameter)
