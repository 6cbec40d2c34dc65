"""Code that runs inside AWS to close the retraining loop (boto3 only; never imports pulumi).

Units, each configured by one JSON document (``contract.config``: for the Lambdas the versioned
S3 object ``MLOPS_RUNTIME_CONFIG_OBJECT`` names, read once per cold start by
``aws.config_object``; the file ``MLOPS_RUNTIME_CONFIG_FILE`` names for the Processing jobs), except
``champion``, which takes ``--group`` and ``--output``:

- ``trigger.handler``: Lambda starting a model's SageMaker pipeline on schedule, alarm or new data.
- ``evaluate``: the pipeline's evaluation ProcessingStep and champion gate.
- ``deploy.handler``: Lambda creating or rolling an endpoint onto a newly approved model package
  and applying its autoscaling.
- ``notify.handler``: Lambda posting alarm notifications to a chat webhook.
- ``monitoring_job``: the monitoring Processing job (drift, prediction drift, bias, quality).
- ``profile_job``: the training pipeline's reference-profile ProcessingStep.
- ``champion``: the batch pipeline's first ProcessingStep, resolving the latest approved package.

The units are thin shells: their decisions live in ``core`` and go through the ports of
``core.ports``, implemented by ``aws`` (boto3) and ``memory`` (in process). ``contract`` and
``drift`` are the only parts the control plane imports. Modules used on the SageMaker
scikit-learn image stay compatible with its Python 3.10.
"""
