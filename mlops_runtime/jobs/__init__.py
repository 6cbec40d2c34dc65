"""What the SageMaker Processing jobs share: captured-traffic and batch readers, model-health
checks, holdout metrics, artifact loading, the job's exit message. Runs on the scikit-learn
image (Python 3.10; numpy, pandas, scipy, scikit-learn)."""
