"""The runtime's backend-neutral decisions and the ports they decide through.

``ports`` declares what a back end provides (claims and run ledger, runs, registry, endpoints,
metrics, notifications, audit); ``retraining`` (the trigger), ``reconcile`` (the deploy
function), ``rollout`` (one rollout for every endpoint), ``registry`` (the champion) and
``gate`` decide through them. Nothing here imports boto3 or the scientific stack: the AWS
adapters live in ``mlops_runtime.aws``, in-memory ones in ``mlops_runtime.memory``.
"""
