"""Code that runs inside AWS to close the retraining loop (boto3 only; never imports pulumi).

Units, each configured by one JSON document (see ``config``: ``MLOPS_RUNTIME_CONFIG`` for the
Lambdas, the file ``MLOPS_RUNTIME_CONFIG_FILE`` names for the Processing jobs), except
``champion``, which takes ``--group`` and ``--output``:

- ``trigger.handler``: Lambda starting a model's SageMaker pipeline on schedule, alarm or new data.
- ``evaluate``: the pipeline's evaluation ProcessingStep and champion gate.
- ``deploy.handler``: Lambda creating or rolling an endpoint onto a newly approved model package
  and applying its autoscaling.
- ``monitor_job``: the drift monitoring Processing job.
- ``profile_job``: the training pipeline's reference-profile ProcessingStep.
- ``champion``: the batch pipeline's first ProcessingStep, resolving the latest approved package.

Modules used on the SageMaker scikit-learn image stay compatible with its Python 3.10.
"""
