"""The model monitoring job: one scheduled pipeline per model that has scheduled monitors
(``data_drift``, ``prediction_drift``, ``bias``, ``model_quality``) on an endpoint that captures
its traffic, or on batch serving (the job then reads the batch transform's input and output
prefixes: ``MonitorConfig.source`` ``batch``). It runs ``python -m mlops_runtime.monitoring_job``,
which publishes every metric those monitors' alarms watch (names and dimensions from
``mlops_runtime.contract.metrics``). A batch model's ``model_quality`` monitors (no inference
ids) and ``bias`` monitors on parquet input (rows are paired for csv and jsonl only) are not
measured; ``notes`` names their alarms.

One run measures one configuration per kind: a model's prediction-drift monitors must share a
method and window, its bias monitors a sensitive feature and window, its quality monitors a
ground-truth source and window (their thresholds, and the quality metrics, may differ: each
alarm applies its own). The job runs on the schedule of the model's first data-drift monitor
(else of its first scheduled monitor by id); ``notes`` says so for monitors asking for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from mlops_runtime.contract.config import (
    BiasCheck,
    MonitorConfig,
    PredictionDriftCheck,
    QualityCheck,
)
from mlops_spec.checks import model_features
from mlops_spec.enums import FeatureKind, ServingTier
from mlops_spec.models import ResolvedSpec, SystemSpec
from mlops_spec.models.model import job_driver
from mlops_spec.models.monitors import (
    SCHEDULED_MONITOR_TYPES,
    BiasMonitor,
    DataDriftMonitor,
    ModelQualityMonitor,
    PredictionDriftMonitor,
)
from mlops_spec.models.serving import BatchServing, RealtimeServing
from mlops_spec.naming import Names
from mlops_spec.plan import iam, pipelines
from mlops_spec.plan.documents import Statement
from mlops_spec.plan.images import Image, sklearn_image
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.schedules import SchedulePlan, pipeline_arn, start_pipeline_schedule
from mlops_spec.plan.serving import ServingPlan
from mlops_spec.plan.storage import StoragePlan, bucket_arn
from mlops_spec.plan.training import job_grants, reference_predictions_uri, reference_profile_uri

JOB_INSTANCE_TYPE = "ml.m5.xlarge"
DRIFT_REPORTS_PREFIX = "drift"
STEP_NAME = "MonitorDrift"


@dataclass(frozen=True)
class MonitoringJobPlan:
    """The monitoring job (``python -m mlops_runtime.monitoring_job``) as a scheduled pipeline; it
    publishes the metrics of the model's scheduled monitors (``DriftScore``,
    ``PredictionDrift``/``PredictionDriftPValue``, ``DemographicParityDifference``,
    ``ModelQuality``; see ``mlops_runtime.contract.metrics``)."""

    model: str
    pipeline_name: str
    pipeline_arn: str
    role: iam.RolePlan
    schedule: SchedulePlan
    monitors: tuple[str, ...]
    """The scheduled monitors it measures (every one of the model's)."""
    profile_uri: str
    """Reference profile the job compares with (written by the training pipeline's Profile
    step whenever a candidate passes the gate)."""
    config: pipelines.Deferred = pipelines.Deferred()  # noqa: RUF009 - a descriptor
    """The job's ``MonitorConfig`` JSON (also its config file's content), encoded when first
    read: validation reads none."""
    definition: pipelines.Deferred = pipelines.Deferred()  # noqa: RUF009 - a descriptor
    """Pipeline definition JSON (``${account}``/``${key_arn}`` placeholders), built when first
    read: validation reads none."""
    prediction_profile_uri: str | None = None
    """Reference predictions (``predictions.json``, copied by the Profile step from the
    evaluation step), when the model has prediction-drift monitors."""
    ground_truth: str | None = None
    """The ground-truth data source joined by its quality monitors."""
    config_files: tuple[pipelines.ConfigFile, ...] = ()
    """The job's ``MonitorConfig`` as an S3 object (the step's ``config`` input)."""


def scheduled_monitors(monitors: dict[str, Any]) -> dict[str, Any]:
    return {k: m for k, m in sorted(monitors.items()) if isinstance(m, SCHEDULED_MONITOR_TYPES)}


def monitors_of(monitors: dict[str, Any], kind: type) -> dict[str, Any]:
    return {k: m for k, m in monitors.items() if isinstance(m, kind)}


def _first(monitors: dict[str, Any]) -> Any:
    """The first monitor by id: one job run measures one configuration per kind, and load-time
    validation (``mlops_spec.checks.JOB_SHARED_FIELDS``) makes monitors of a kind agree on it."""
    return monitors[min(monitors)]


def driver(monitors: dict[str, Any]) -> tuple[str, Any]:
    """(id, monitor) whose schedule the job follows (``models.model.job_driver``, the rule the
    load-time window check uses); ``monitors`` holds at least one scheduled monitor."""
    found = job_driver(monitors)
    assert found is not None, "a monitoring job measures at least one scheduled monitor"
    return found


@dataclass(frozen=True)
class _Checks:
    """What one run measures, from the first monitor of each kind."""

    methods: dict[str, str]
    """Data drift: the test per feature (``ks`` means ``chi2`` for categorical features)."""
    thresholds: dict[str, float]
    data_drift: bool
    prediction_drift: PredictionDriftCheck | None
    prediction_profile_uri: str | None
    bias: BiasCheck | None
    model_quality: QualityCheck | None
    ground_truth: str | None
    """The ground-truth data source of the quality monitors."""


@dataclass(frozen=True)
class _Job:
    """Names and places one model's monitoring job is built from."""

    model_id: str
    names: Names
    storage: StoragePlan
    partition: str
    region: str
    pipeline: str
    role_name: str
    image: Image

    @property
    def role_arn(self) -> str:
        return iam.role_arn(self.partition, self.role_name)


def plan_job(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    serving: ServingPlan | None,
    partition: str,
) -> MonitoringJobPlan | None:
    """The model's monitoring job, or None (no measurable scheduled monitor, or neither captured
    traffic nor batch serving)."""
    spec = resolved.spec
    scheduled = _measured(spec, model_id, storage, serving)
    if not scheduled:
        return None
    region = spec.system.region
    _, lead = driver(scheduled)
    checks = monitor_checks(spec, model_id, storage, scheduled)
    assert serving is not None  # _measured: the job reads captured traffic or batch data
    reading, reads = _reading(spec, model_id, storage, serving, checks, partition)
    config = monitor_config(spec, model_id, names, storage, lead, checks, reading)
    pipeline = names.monitoring_pipeline(model_id)
    job = _Job(
        model_id,
        names,
        storage,
        partition,
        region,
        pipeline,
        names.role("monitor", model_id),
        sklearn_image(region, partition),
    )
    config_file = pipelines.config_file(  # the JSON encoded when first read
        storage.bucket("artifacts").name, pipeline, STEP_NAME, "MonitorConfig", config.to_json
    )
    return MonitoringJobPlan(
        model=model_id,
        pipeline_name=pipeline,
        pipeline_arn=pipeline_arn(partition, region, pipeline),
        role=_role(job, reads, checks.ground_truth),
        schedule=start_pipeline_schedule(
            names=names,
            model=model_id,
            purpose="monitor",
            what="model monitoring",
            expression=lead.schedule,
            enabled=policy.schedules_enabled,
            pipeline=pipeline,
            partition=partition,
            region=region,
        ),
        monitors=tuple(scheduled),
        profile_uri=config.profile_uri,
        config=config.to_json,
        definition=partial(_definition, job, config_file),
        prediction_profile_uri=checks.prediction_profile_uri,
        ground_truth=checks.ground_truth,
        config_files=(config_file,),
    )


def _measured(
    spec: SystemSpec, model_id: str, storage: StoragePlan, serving: ServingPlan | None
) -> dict[str, Any]:
    """The scheduled monitors the job measures: none without captured traffic or batch
    serving."""
    endpoint = serving.endpoint if serving else None
    batch = serving.batch if serving else None
    captured = endpoint is not None and endpoint.capture is not None
    if not (captured or batch):
        return {}
    unmeasured = not_measured(spec, model_id, storage)
    monitors = scheduled_monitors(spec.models[model_id].monitors)
    return {k: m for k, m in monitors.items() if k not in unmeasured}


def monitor_checks(
    spec: SystemSpec, model_id: str, storage: StoragePlan, scheduled: dict[str, Any]
) -> _Checks:
    """What a model's monitoring job checks (the same on AWS and on a cluster)."""
    drift = monitors_of(scheduled, DataDriftMonitor)
    methods: dict[str, str] = {}
    thresholds: dict[str, float] = {}
    if drift:
        first = _first(drift)
        kinds = model_features(spec, spec.models[model_id])
        for feature in first.features or sorted(kinds):
            method = str(first.method)
            if method == "ks" and kinds[feature] is FeatureKind.CATEGORICAL:
                method = "chi2"
            methods[feature] = method
            thresholds[feature] = first.threshold
    prediction_check, prediction_uri = _prediction_check(
        monitors_of(scheduled, PredictionDriftMonitor), storage, model_id
    )
    quality, ground_truth = quality_check(
        monitors_of(scheduled, ModelQualityMonitor), spec, storage, model_id
    )
    return _Checks(
        methods=methods,
        thresholds=thresholds,
        data_drift=bool(drift),
        prediction_drift=prediction_check,
        prediction_profile_uri=prediction_uri,
        bias=_bias_check(monitors_of(scheduled, BiasMonitor), spec, model_id),
        model_quality=quality,
        ground_truth=ground_truth,
    )


def _prediction_check(
    predictions: dict[str, Any], storage: StoragePlan, model_id: str
) -> tuple[PredictionDriftCheck | None, str | None]:
    """(check, reference predictions' URI), both None without prediction-drift monitors."""
    if not predictions:
        return None, None
    monitor = _first(predictions)
    uri = reference_predictions_uri(storage, model_id)
    check = PredictionDriftCheck(
        profile_uri=uri,
        method=str(monitor.method),
        threshold=monitor.threshold,
        window_hours=monitor.window_hours,
    )
    return check, uri


def _bias_check(bias: dict[str, Any], spec: SystemSpec, model_id: str) -> BiasCheck | None:
    if not bias:
        return None
    monitor = _first(bias)
    return BiasCheck(
        feature=monitor.sensitive_feature,
        window_hours=monitor.window_hours,
        positive_label=spec.models[model_id].training.positive_label,
    )


def quality_check(
    quality: dict[str, Any], spec: SystemSpec, storage: StoragePlan, model_id: str
) -> tuple[QualityCheck | None, str | None]:
    """(check, ground-truth data source), both None without model-quality monitors."""
    if not quality:
        return None, None
    monitor = _first(quality)
    ground_truth = monitor.ground_truth.data_source
    source = spec.data_sources[ground_truth]
    assert source.label is not None  # load-time checks: ground truth has a label
    check = QualityCheck(
        ground_truth_uri=storage.location(ground_truth).uri,
        format=storage.location(ground_truth).format,
        label=source.label,
        inference_id_column=source.inference_id_column,
        metrics=tuple(sorted({str(m.metric) for m in quality.values()})),
        positive_label=spec.models[model_id].training.positive_label,
        window_hours=monitor.window_hours,
    )
    return check, ground_truth


def _reading(
    spec: SystemSpec,
    model_id: str,
    storage: StoragePlan,
    serving: ServingPlan,
    checks: _Checks,
    partition: str,
) -> tuple[dict[str, Any], list[tuple[Statement, ...]]]:
    """(MonitorConfig fields saying what the job reads, the grants to read it): a batch
    transform's input (and output, for prediction drift and bias), else captured traffic."""
    batch, endpoint = serving.batch, serving.endpoint
    reads: list[tuple[Statement, ...]] = []
    reading: dict[str, Any]
    if batch is None:
        assert endpoint is not None and endpoint.capture is not None
        capture = storage.bucket("capture")
        reads.append(iam.s3_read(capture.arn, f"endpoints/{endpoint.name}/"))
        reading = {
            "endpoint_name": endpoint.name,
            "capture_uri": endpoint.capture.destination_uri,
            "variants": (endpoint.variant,),
        }
        return reading, reads
    input_format, header = batch_input(spec, model_id, storage)
    pairs = checks.prediction_drift or checks.bias
    output_uri = batch.output_uri.rstrip("/") + "/" if pairs else None
    for uri in (batch.input_uri, output_uri):
        if uri:
            bucket, prefix = _split(uri)
            reads.append(iam.s3_read(bucket_arn(partition, bucket), prefix))
    reading = {
        "source": "batch",
        "batch_input_uri": batch.input_uri,
        "batch_input_format": input_format,
        "batch_input_header": header,
        "batch_output_uri": output_uri,
    }
    return reading, reads


def monitor_config(
    spec: SystemSpec,
    model_id: str,
    names: Names,
    storage: StoragePlan,
    lead: Any,
    checks: _Checks,
    reading: dict[str, Any],
) -> MonitorConfig:
    """The job's configuration; ``lead``: the monitor whose schedule and window it follows."""
    return MonitorConfig(
        system=spec.system.id,
        model_id=model_id,
        environment=names.environment,
        profile_uri=reference_profile_uri(storage, model_id),
        reports_bucket=storage.bucket("reports").name,
        reports_prefix=DRIFT_REPORTS_PREFIX,
        window_hours=lead.window_hours,
        namespace=names.metric_namespace(),
        **reading,
        methods=checks.methods,
        thresholds=checks.thresholds,
        data_drift=checks.data_drift,
        prediction_drift=checks.prediction_drift,
        bias=checks.bias,
        model_quality=checks.model_quality,
    )


def _definition(job: _Job, config_file: pipelines.ConfigFile) -> str:
    """One Processing step running the monitoring job."""
    step = pipelines.processing_step(
        STEP_NAME,
        image=job.image.uri,
        role_arn=job.role_arn,
        instance_type=JOB_INSTANCE_TYPE,
        code_uri=job.storage.code.uri,
        code_object_key=job.storage.code.object_key,
        module="mlops_runtime.monitoring_job",
        config=config_file,
    )
    return pipelines.definition([step])


def _role(job: _Job, reads: list[tuple[Statement, ...]], ground_truth: str | None) -> iam.RolePlan:
    """Read the traffic, reference, code, config and ground truth; write reports; publish the
    system's metrics; run the Processing job."""
    storage, model_id = job.storage, job.model_id
    artifacts, reports = storage.bucket("artifacts"), storage.bucket("reports")
    ground_truth_read: tuple[Statement, ...] = ()
    if ground_truth:
        location = storage.location(ground_truth)
        ground_truth_read = iam.s3_read(location.bucket_arn, location.prefix)
    repositories = (job.image.repository_arn,) if job.image.repository_arn else ()
    return iam.sagemaker_role(
        "monitor",
        job.role_name,
        f"Monitoring job of {model_id}",
        *reads,
        iam.s3_read(artifacts.arn, f"{storage.model_prefix(model_id)}reference/"),
        iam.s3_read(artifacts.arn, storage.code.object_key),
        iam.s3_read(artifacts.arn, pipelines.config_prefix(job.pipeline)),
        ground_truth_read,
        iam.s3_write(reports.arn, f"{DRIFT_REPORTS_PREFIX}/{model_id}/"),
        iam.kms_use(encrypt=True),
        iam.put_metrics(job.names.metric_namespace()),
        job_grants(job.partition, job.region, ("processing",)),
        iam.ecr_pull(repositories),
        iam.pass_role((job.role_arn,), "sagemaker.amazonaws.com"),
        partition=job.partition,
        region=job.region,
    )


def batch_input(spec: SystemSpec, model_id: str, storage: StoragePlan) -> tuple[str, bool]:
    """(format, has a header line) of the batch transform's input objects: a data source's
    format (csv with a header); a plain s3:// input is sent as text/csv, so headerless csv in
    the model's feature order."""
    serving = spec.models[model_id].serving
    assert isinstance(serving, BatchServing)
    if serving.input in spec.data_sources:
        return storage.location(serving.input).format, True
    return "csv", False


def _split(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def not_measured(spec: SystemSpec, model_id: str, storage: StoragePlan) -> dict[str, str]:
    """Scheduled monitors of a batch-served model the monitoring job cannot measure, with why."""
    serving = spec.models[model_id].serving
    if not isinstance(serving, BatchServing):
        return {}
    parquet = (
        serving.input in spec.data_sources and storage.location(serving.input).format == "parquet"
    )
    reasons = {}
    for monitor_id, monitor in scheduled_monitors(spec.models[model_id].monitors).items():
        if isinstance(monitor, ModelQualityMonitor):
            reasons[monitor_id] = (
                "model_quality joins predictions with ground truth by inference id, which "
                "batch transform records do not carry"
            )
        elif isinstance(monitor, BiasMonitor) and parquet:
            reasons[monitor_id] = (
                "bias pairs each prediction with its input row, which the monitoring job does "
                "for csv and jsonl batch input only"
            )
    return reasons


def no_job_reason(spec: SystemSpec, model_id: str) -> str:
    serving = spec.models[model_id].serving
    if serving is None:
        return "the model is not served, so no traffic is captured"
    if serving.tier == ServingTier.BATCH:
        return "the model's batch monitoring job measures none of its scheduled monitors"
    if isinstance(serving, RealtimeServing):
        return "the endpoint captures no traffic (data_capture_percent is 0)"
    return f"{serving.tier} endpoints capture no traffic"
