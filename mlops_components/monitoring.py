"""Monitoring: the KMS-encrypted alarm topic and its subscriptions, one alarm per monitor
(from the serving plan's metric descriptors and the system's custom metrics), a composite
health alarm and a dashboard per model, and (when the spec names a chat webhook) the notifier
function subscribed to the topic, with its dead-letter queue; and the EventBridge rule that
announces failed runs of the system's pipelines on the topic, with a dead-letter queue (and its
alarm) for the messages it could not deliver.

Alarms are created before the endpoints: an endpoint's blue/green deployment names its
rollback alarms, which must exist first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mlops_components.alarms import create_alarm
from mlops_components.functions import create_function, lambda_code
from mlops_components.queues import create_dead_letter_queue
from mlops_components.refs import StackContext, child
from mlops_spec.naming import content_hash
from mlops_spec.plan import MonitoringPlan
from mlops_spec.plan.monitoring import ModelMonitoringPlan, TopicPlan
from mlops_spec.plan.notifier import NotifierPlan
from mlops_spec.plan.pipeline_failures import FailureRulePlan


@dataclass(frozen=True)
class MonitoringArgs:
    plan: MonitoringPlan
    context: StackContext


class Monitoring(pulumi.ComponentResource):
    """Alarm topic, alarms, health alarms and dashboards of every model."""

    topic_arn: pulumi.Output[str]
    alarm_actions: list[pulumi.Input[str]]
    dashboard_names: dict[str, pulumi.Output[str]]
    health_alarm_names: dict[str, pulumi.Output[str]]
    notifier_name: pulumi.Output[str] | None
    """The chat-webhook notifier function (None without a webhook)."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:monitoring:Monitoring", name, None, opts)
        plan = args.plan
        topic = self._topic(name, plan.topic, args.context)
        self.topic_arn = topic.arn
        self.alarm_actions = [topic.arn, *plan.topic.external_topic_arns]
        self._pipeline_failures(name, plan.pipeline_failures, topic, args.context)
        self.notifier_name = None
        if plan.notifier is not None:
            notifier = self._notifier(name, plan.notifier, topic, args.context)
            self.notifier_name = notifier.name
        self.alarms: dict[tuple[str, str], aws.cloudwatch.MetricAlarm] = {}
        self.alarms_by_name: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.dashboard_names = {}
        self.health_alarm_names = {}
        for model in plan.models:
            self._model(model, plan.actions_enabled, args.context)
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "dashboard_names": self.dashboard_names,
                "health_alarm_names": self.health_alarm_names,
                "notifier_name": self.notifier_name,
            }
        )

    def _topic(self, name: str, plan: TopicPlan, context: StackContext) -> aws.sns.Topic:
        """The encrypted alarm topic, its policy and its e-mail subscriptions."""
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=plan.name,
            kms_master_key_id=context.refs.key_arn,
            tags=context.policy.tag_map,
            opts=child(self),
        )
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=context.refs.render(plan.policy.to_json()),
            opts=child(self),
        )
        for email in plan.emails:  # keyed by the address, never by list position
            aws.sns.TopicSubscription(
                f"{name}-email-{content_hash(email.lower())}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child(self),
            )
        return topic

    def _pipeline_failures(
        self, name: str, plan: FailureRulePlan, topic: aws.sns.Topic, context: StackContext
    ) -> None:
        """The rule matching failed runs of the system's pipelines (DISABLED where alarm
        actions are off), its readable message to the topic (after the topic policy lets
        EventBridge publish for this rule), and the dead-letter queue of messages it could not
        deliver."""
        queue = create_dead_letter_queue(
            self, f"{name}-pipeline-failed-dlq", plan.queue, context, self.alarm_actions
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-pipeline-failed-rule",
            name=plan.name,
            description=plan.description,
            event_pattern=context.refs.render(plan.event_pattern),
            state=plan.state,
            tags=context.policy.tag_map,
            opts=child(self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-pipeline-failed-target",
            rule=rule.name,
            arn=topic.arn,
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths=dict(plan.input_paths), input_template=plan.input_template
            ),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=plan.retry_attempts,
                maximum_event_age_in_seconds=plan.max_event_age_seconds,
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=queue.arn),
            opts=child(self, depends_on=[self.topic_policy, queue.policy]),
        )

    def _model(
        self, model: ModelMonitoringPlan, actions_enabled: bool, context: StackContext
    ) -> None:
        """A model's alarms, its composite health alarm and its dashboard."""
        tags = context.policy.tag_map
        for alarm in model.alarms:
            created = create_alarm(
                self,
                f"{model.model}-{alarm.monitor}-alarm",
                alarm,
                actions=self.alarm_actions,
                actions_enabled=actions_enabled,
                tags=tags,
            )
            self.alarms[(model.model, alarm.monitor)] = created
            self.alarms_by_name[alarm.name] = created
        if model.health is not None:
            health = aws.cloudwatch.CompositeAlarm(
                f"{model.model}-health-alarm",
                alarm_name=model.health.name,
                alarm_description=model.health.description,
                alarm_rule=model.health.rule,
                actions_enabled=actions_enabled,
                alarm_actions=self.alarm_actions,
                ok_actions=self.alarm_actions,
                tags=tags,
                opts=child(
                    self,
                    depends_on=[self.alarms[(model.model, a.monitor)] for a in model.alarms],
                ),
            )
            self.health_alarm_names[model.model] = health.alarm_name
        dashboard = aws.cloudwatch.Dashboard(
            f"{model.model}-dashboard",
            dashboard_name=model.dashboard_name,
            dashboard_body=context.refs.render(model.dashboard_body),
            opts=child(self),
        )
        self.dashboard_names[model.model] = dashboard.dashboard_name

    def _notifier(
        self,
        name: str,
        plan: NotifierPlan,
        topic: aws.sns.Topic,
        context: StackContext,
    ) -> aws.lambda_.Function:
        """The webhook notifier, subscribed to the topic; what it (or SNS) cannot deliver waits
        in its encrypted dead-letter queue, whose alarm notifies the topic's other channels."""
        queue = create_dead_letter_queue(
            self, f"{name}-notify-dlq", plan.queue, context, self.alarm_actions
        )
        function = create_function(
            self, name, plan.function, context, code=lambda_code(), dead_letter_arn=queue.arn
        )
        permission = aws.lambda_.Permission(
            f"{name}-notify-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="sns.amazonaws.com",
            source_arn=topic.arn,
            opts=child(self),
        )
        aws.sns.TopicSubscription(
            f"{name}-notify-subscription",
            topic=topic.arn,
            protocol="lambda",
            endpoint=function.arn,
            # Deliveries SNS cannot make to the function (after its retries) are kept too.
            redrive_policy=pulumi.Output.json_dumps({"deadLetterTargetArn": queue.arn}),
            opts=child(self, depends_on=[permission, queue.policy]),
        )
        return function

    def alarms_named(self, names: tuple[str, ...]) -> list[aws.cloudwatch.MetricAlarm]:
        """The created alarms with these physical names (e.g. a rollout's rollback alarms)."""
        return [self.alarms_by_name[name] for name in names]
