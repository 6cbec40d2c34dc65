"""Code that runs inside AWS to close the retraining loop (boto3 only; never imports pulumi).

Units, each configured by one JSON document in ``MLOPS_RUNTIME_CONFIG`` (see ``config``):

- ``trigger.handler``: Lambda starting a model's SageMaker pipeline on schedule, alarm or new data.
- ``evaluate``: the pipeline's evaluation ProcessingStep and champion gate.
- ``deploy.handler``: Lambda rolling an endpoint onto a newly approved model package.
- ``monitor_job``: the drift monitoring Processing job.

Modules used on the SageMaker scikit-learn image stay compatible with its Python 3.10.
"""
