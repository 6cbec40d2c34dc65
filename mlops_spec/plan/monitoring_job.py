"""The model monitoring job: one scheduled pipeline per model that has scheduled monitors
(``data_drift``, ``prediction_drift``, ``bias``, ``model_quality``) on an endpoint that captures
its traffic, or on batch serving (the job then reads the batch transform's input and output
prefixes: ``MonitorConfig.source`` ``batch``). It runs ``python -m mlops_runtime.monitor_job``,
which publishes every metric those monitors' alarms watch (names and dimensions from
``mlops_runtime.contract.metrics``). A batch model's ``model_quality`` monitors (no inference
ids) and ``bias`` monitors on parquet input (no row-level pairing) are not measured; ``notes``
names their alarms.

One run measures one configuration per kind: a model's prediction-drift monitors must share a
method and window, its bias monitors a sensitive feature and window, its quality monitors a
ground-truth source and window (their thresholds, and the quality metrics, may differ: each
alarm applies its own). The job runs on the schedule of the model's first data-drift monitor
(else of its first scheduled monitor by id); ``notes`` says so for monitors asking for another.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from mlops_spec.plan.images import sklearn_image
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
    """The monitoring job (``python -m mlops_runtime.monitor_job``) as a scheduled pipeline; it
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
    config: str
    definition: str
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
    """(id, monitor) whose schedule the job follows: the first data-drift monitor, else the
    first scheduled monitor (ids in order)."""
    scheduled = scheduled_monitors(monitors)
    drift = monitors_of(scheduled, DataDriftMonitor)
    return next(iter((drift or scheduled).items()))


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
    spec_model = spec.models[model_id]
    endpoint = serving.endpoint if serving else None
    batch = serving.batch if serving else None
    captured = endpoint is not None and endpoint.capture is not None
    unmeasured = not_measured(spec, model_id, storage)
    scheduled = {
        k: m for k, m in scheduled_monitors(spec_model.monitors).items() if k not in unmeasured
    }
    if not scheduled or not (captured or batch):
        return None
    region = spec.system.region
    _, lead = driver(scheduled)
    drift = monitors_of(scheduled, DataDriftMonitor)
    predictions = monitors_of(scheduled, PredictionDriftMonitor)
    bias = monitors_of(scheduled, BiasMonitor)
    quality = monitors_of(scheduled, ModelQualityMonitor)
    methods: dict[str, str] = {}
    thresholds: dict[str, float] = {}
    if drift:
        first = _first(drift)
        kinds = model_features(spec, spec_model)
        for feature in first.features or sorted(kinds):
            method = str(first.method)
            if method == "ks" and kinds[feature] is FeatureKind.CATEGORICAL:
                method = "chi2"
            methods[feature] = method
            thresholds[feature] = first.threshold
    prediction_check = None
    prediction_uri = None
    if predictions:
        monitor = _first(predictions)
        prediction_uri = reference_predictions_uri(storage, model_id)
        prediction_check = PredictionDriftCheck(
            profile_uri=prediction_uri,
            method=str(monitor.method),
            threshold=monitor.threshold,
            window_hours=monitor.window_hours,
        )
    bias_check = None
    if bias:
        monitor = _first(bias)
        bias_check = BiasCheck(
            feature=monitor.sensitive_feature,
            window_hours=monitor.window_hours,
            positive_label=spec.models[model_id].training.positive_label,
        )
    quality_check = None
    ground_truth = None
    if quality:
        monitor = _first(quality)
        ground_truth = monitor.ground_truth.data_source
        source = spec.data_sources[ground_truth]
        assert source.label is not None  # load-time checks: ground truth has a label
        quality_check = QualityCheck(
            ground_truth_uri=storage.location(ground_truth).uri,
            format=storage.location(ground_truth).format,
            label=source.label,
            inference_id_column=source.inference_id_column,
            metrics=tuple(sorted({str(m.metric) for m in quality.values()})),
            positive_label=spec.models[model_id].training.positive_label,
            window_hours=monitor.window_hours,
        )
    artifacts = storage.bucket("artifacts")
    reports = storage.bucket("reports")
    profile_uri = reference_profile_uri(storage, model_id)
    reading: dict[str, Any]
    reads: list[tuple[Statement, ...]] = []
    if batch is not None:
        input_format, header = batch_input(spec, model_id, storage)
        output_uri = batch.output_uri.rstrip("/") + "/" if prediction_check or bias_check else None
        reading = {
            "source": "batch",
            "batch_input_uri": batch.input_uri,
            "batch_input_format": input_format,
            "batch_input_header": header,
            "batch_output_uri": output_uri,
        }
        for uri in (batch.input_uri, output_uri):
            if uri:
                bucket, prefix = _split(uri)
                reads.append(iam.s3_read(bucket_arn(partition, bucket), prefix))
    else:
        assert endpoint is not None and endpoint.capture is not None
        reading = {
            "endpoint_name": endpoint.name,
            "capture_uri": endpoint.capture.destination_uri,
            "variants": (endpoint.variant,),
        }
        capture = storage.bucket("capture")
        reads.append(iam.s3_read(capture.arn, f"endpoints/{endpoint.name}/"))
    config = MonitorConfig(
        system=spec.system.id,
        model_id=model_id,
        environment=names.environment,
        profile_uri=profile_uri,
        reports_bucket=reports.name,
        reports_prefix=DRIFT_REPORTS_PREFIX,
        window_hours=lead.window_hours,
        namespace=names.metric_namespace(),
        **reading,
        methods=methods,
        thresholds=thresholds,
        data_drift=bool(drift),
        prediction_drift=prediction_check,
        bias=bias_check,
        model_quality=quality_check,
    )
    role_name = names.role("monitor", model_id)
    role_arn = iam.role_arn(partition, role_name)
    image = sklearn_image(region, partition)
    pipeline = names.monitoring_pipeline(model_id)
    config_file = pipelines.config_file(
        artifacts.name, pipeline, STEP_NAME, "MonitorConfig", config.to_json()
    )
    definition = pipelines.definition(
        [
            pipelines.processing_step(
                STEP_NAME,
                image=image.uri,
                role_arn=role_arn,
                instance_type=JOB_INSTANCE_TYPE,
                code_uri=storage.code.uri,
                code_object_key=storage.code.object_key,
                module="mlops_runtime.monitor_job",
                config=config_file,
            )
        ]
    )
    ground_truth_read: tuple[Statement, ...] = ()
    if ground_truth:
        location = storage.location(ground_truth)
        ground_truth_read = iam.s3_read(location.bucket_arn, location.prefix)
    grants = (
        *reads,
        iam.s3_read(artifacts.arn, f"models/{model_id}/reference/"),
        iam.s3_read(artifacts.arn, storage.code.object_key),
        iam.s3_read(artifacts.arn, pipelines.config_prefix(pipeline)),
        ground_truth_read,
        iam.s3_write(reports.arn, f"{DRIFT_REPORTS_PREFIX}/{model_id}/"),
        iam.kms_use(encrypt=True),
        iam.put_metrics(names.metric_namespace()),
        job_grants(partition, region, ("processing",)),
        iam.ecr_pull((image.repository_arn,) if image.repository_arn else ()),
        iam.pass_role((role_arn,), "sagemaker.amazonaws.com"),
    )
    return MonitoringJobPlan(
        model=model_id,
        pipeline_name=pipeline,
        pipeline_arn=pipeline_arn(partition, region, pipeline),
        role=iam.sagemaker_role(
            "monitor",
            role_name,
            f"Monitoring job of {model_id}",
            *grants,
            partition=partition,
            region=region,
        ),
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
        profile_uri=profile_uri,
        config=config.to_json(),
        definition=definition,
        prediction_profile_uri=prediction_uri,
        ground_truth=ground_truth,
        config_files=(config_file,),
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
                "bias pairs each prediction with its input row, which parquet batch input "
                "does not allow (the transform sends each object as one request, SplitType "
                "None, so no prediction is tied to a row)"
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
