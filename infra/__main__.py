"""The Pulumi program: stack config -> validated spec -> plan -> components -> outputs."""

from pathlib import Path

import pulumi

import mlops_components as c
from mlops_components.outputs import export_all, stack_outputs
from mlops_spec.errors import SpecError
from mlops_spec.load import resolve
from mlops_spec.plan import PlanError, plan

spec_path = Path(__file__).resolve().parent.parent / pulumi.Config().require("spec")
try:  # a bad spec is the user's input, not a bug: report it without a traceback
    deployment = plan(resolve(spec_path, pulumi.get_stack()))
except (SpecError, PlanError) as error:
    raise pulumi.RunError(str(error)) from None
for note in deployment.notes:  # what the spec asks for that these resources do not do
    pulumi.log.warn(note)
region = pulumi.Config("aws").get("region")
if region and region != deployment.region:
    raise pulumi.RunError(f"aws:region is {region}; {spec_path} deploys to {deployment.region}")

storage = c.Storage("storage", c.StorageArgs(deployment.storage, deployment.policy))
registry = c.Registry("registry", c.RegistryArgs(deployment.registry, storage.context))
ctx = storage.context.after(registry)
monitoring = c.Monitoring("monitoring", c.MonitoringArgs(deployment.monitoring, ctx))
training = {
    t.model: c.Training(f"{t.model}-training", c.TrainingArgs(t, ctx)) for t in deployment.training
}
serving = {}
for s in deployment.serving:
    alarms, scheduler = monitoring.alarms_named(s.rollback_alarms), training[s.model].scheduler
    serving[s.model] = c.Serving(f"{s.model}-serving", c.ServingArgs(s, ctx, alarms, scheduler))
for job in deployment.monitoring.jobs:
    scheduler = training[job.model].scheduler
    c.MonitoringJob(f"{job.model}-drift", c.MonitoringJobArgs(job, ctx, scheduler))
retraining = None
if deployment.retraining:
    loop = ctx.after(*training.values(), *serving.values())
    retraining = c.Retraining(
        "retraining",
        c.RetrainingArgs(deployment.retraining, loop, monitoring.alarm_actions, training),
    )
export_all(stack_outputs(deployment, storage, registry, monitoring, training, serving, retraining))
