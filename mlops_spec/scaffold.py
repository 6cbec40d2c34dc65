"""``mlops init``: a commented, valid starter spec, or (``--project``) a whole repository a team
can commit: the spec, a Pulumi project whose program is one ``MlSystem`` call, its stacks, pinned
requirements and a pull-request workflow. Templates live in ``mlops_spec/templates/``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from string import Template

_TEMPLATE = Template("""\
$modeline#
# $system_id: an ML system described by mlops-spec. Validate with `mlops validate $filename`,
# preview with `mlops plan $filename --stack dev`. Every key is described in the JSON Schema
# (`mlops schema`; editors show it) and in mlops-spec's reference, docs/spec.md.
spec_version: 1

system:
  id: $system_id               # lowercase; the first part of every resource name
  owner: $owner
  region: $region
  bucket_namespace: change-me  # S3 names are global: your AWS account id or organisation's name
  tags:
    cost-centre: change-me

notifications:
  emails: [$owner]             # alarm e-mails; secrets only by reference (SSM parameter names)

data_sources:
  training-data:
    bucket: create             # or the name/ARN of an existing bucket
    prefix: training/
    format: parquet
    features:                  # name: numeric | categorical
      feature_a: numeric
      feature_b: categorical
    label: label
  holdout-data:                # what the gate scores candidates on; never trained on
    bucket: create
    prefix: holdout/
    format: parquet
    features:
      feature_a: numeric
      feature_b: categorical
    label: label

models:
  $model_id:
    training:
      image: 123456789012.dkr.ecr.$region.amazonaws.com/$model_id-train:0.1.0
      instance_type: ml.m5.xlarge
      inputs: [training-data]
      holdout: holdout-data    # production refuses a gate scored on the training data
      schedule: cron(0 3 ? * MON *)   # or null for no schedule
      gate:
        metric: auc
        min: 0.7
      evaluation:
        output: probability    # the container answers the positive class's probability (auc needs it)
    registry:
      approval: manual         # auto: approve every candidate that passes the gate
$serving
environments:
  dev:
    mode: development          # smaller, schedules paused, no paging
  prod:
    mode: production           # protected, alarms page, rollback monitors required
""")

_SERVING = {
    "realtime": """\
    serving:
      tier: realtime
      instance_type: ml.m5.large
      # production runs at least 2 instances; development runs 1 whatever this says
      autoscaling: {min_instances: 2, max_instances: 4, target_invocations_per_instance: 100}
      # the canary is one of the 2 instances: traffic moves a whole instance at a time
      rollout: {strategy: canary, traffic_percent: 50, bake_minutes: 10}
    monitors:
      p99-latency: {type: latency, percentile: p99, threshold_ms: 300, action: rollback}
      server-errors: {type: error_rate, threshold_percent: 1, action: rollback}
      feature-drift: {type: data_drift, method: psi, threshold: 0.2, action: retrain}
""",
    "serverless": """\
    serving:
      tier: serverless
      memory_mb: 2048
      max_concurrency: 5
    monitors:
      p99-latency: {type: latency, percentile: p99, threshold_ms: 1000}
""",
    "batch": """\
    serving:
      tier: batch
      instance_type: ml.m5.xlarge
      schedule: cron(0 5 * * ? *)
      input: training-data
    monitors:
      feature-drift: {type: data_drift, method: psi, threshold: 0.2, action: retrain}
""",
}

SCHEMA_FILE = ".mlops/mlops-spec.v1.schema.json"
"""Where `mlops init` puts the JSON Schema, relative to the spec (for editor completion)."""


def render_spec(
    *,
    system_id: str,
    owner: str,
    region: str,
    model_id: str,
    tier: str,
    filename: str,
    schema: bool = True,
) -> str:
    """The starter spec text for the given choices (with a modeline to the local schema)."""
    modeline = f"# yaml-language-server: $schema={SCHEMA_FILE}\n" if schema else ""
    return _TEMPLATE.substitute(
        modeline=modeline,
        system_id=system_id,
        owner=owner,
        region=region,
        model_id=model_id,
        serving=_SERVING[tier],
        filename=filename,
    )


# --- `mlops init --project DIR`: a repository a team can commit ---------------------------

STACKS = ("dev", "prod")
"""The stacks scaffolded: the environments of the starter spec."""

_PLACEHOLDER = re.compile(r"<<(\w+)>>")


@dataclass(frozen=True)
class ProjectFile:
    """One scaffolded file: its path relative to the project directory, and its text."""

    path: str
    text: str


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``<<name>>`` replaced by ``values[name]`` (KeyError if unknown).

    Not ``string.Template``: workflow files are full of ``$`` and ``${{ }}``."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _template(name: str) -> str:
    return (resources.files("mlops_spec") / "templates" / name).read_text(encoding="utf-8")


def project_files(
    *, spec_text: str, schema_text: str | None, system_id: str, region: str, version: str
) -> list[ProjectFile]:
    """Every file of a scaffolded project: Pulumi project and stacks, the one-call program,
    the spec (and its schema for editors), pinned requirements, CI workflow, README."""
    values = {"project": system_id, "system": system_id, "region": region, "version": version}
    files = [
        ProjectFile("Pulumi.yaml", fill(_template("Pulumi.yaml.tmpl"), values)),
        ProjectFile("__main__.py", fill(_template("program.py.tmpl"), values)),
        *(
            ProjectFile(
                f"stacks/Pulumi.{stack}.yaml",
                fill(_template("stack.yaml.tmpl"), {**values, "stack": stack}),
            )
            for stack in STACKS
        ),
        ProjectFile("mlops.yaml", spec_text),
        ProjectFile("requirements.txt", fill(_template("requirements.txt.tmpl"), values)),
        ProjectFile(
            ".github/workflows/mlops-review.yml", fill(_template("mlops-review.yml.tmpl"), values)
        ),
        ProjectFile(
            ".github/workflows/mlops-prices.yml", fill(_template("mlops-prices.yml.tmpl"), values)
        ),
        ProjectFile(
            ".github/workflows/mlops-deploy.yml", fill(_template("mlops-deploy.yml.tmpl"), values)
        ),
        ProjectFile(".gitignore", fill(_template("gitignore.tmpl"), values)),
        ProjectFile("README.md", fill(_template("README.md.tmpl"), values)),
    ]
    if schema_text is not None:
        files.append(ProjectFile(SCHEMA_FILE, schema_text))
    return files
