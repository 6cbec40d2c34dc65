"""Closed choices of the spec, as str Enums (their values are what users write)."""

from enum import StrEnum


class DataFormat(StrEnum):
    PARQUET = "parquet"
    CSV = "csv"
    JSONL = "jsonl"


class FeatureKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


class TrainingPlatform(StrEnum):
    SAGEMAKER = "sagemaker"
    KUBERNETES = "kubernetes"


class Approval(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class ServingTier(StrEnum):
    REALTIME = "realtime"
    SERVERLESS = "serverless"
    BATCH = "batch"


class RolloutStrategy(StrEnum):
    ALL_AT_ONCE = "all_at_once"
    CANARY = "canary"
    LINEAR = "linear"


class MonitorAction(StrEnum):
    NOTIFY = "notify"
    RETRAIN = "retrain"
    ROLLBACK = "rollback"


class DriftMethod(StrEnum):
    PSI = "psi"
    KS = "ks"
    CHI2 = "chi2"
    CLASSIFIER = "classifier"


class Percentile(StrEnum):
    P50 = "p50"
    P90 = "p90"
    P95 = "p95"
    P99 = "p99"


class ResourceMetric(StrEnum):
    CPU = "cpu"
    MEMORY = "memory"
    DISK = "disk"
    GPU = "gpu"


class QualityMetric(StrEnum):
    AUC = "auc"
    ACCURACY = "accuracy"
    F1 = "f1"
    PRECISION = "precision"
    RECALL = "recall"
    RMSE = "rmse"
    MAE = "mae"
    R2 = "r2"


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
