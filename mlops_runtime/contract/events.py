"""Event constants shared by the rules the planner writes and the trigger that reads them."""

SCHEDULE_SOURCE = "mlops.schedule"
"""EventBridge ``source`` of the events the retraining schedules send to the trigger."""
REASON_PARAMETER = "TriggerReason"
"""The training pipeline's String parameter that receives why a run started (the register
step copies it into the package's ``mlops:trigger`` metadata)."""
TRIGGER_ID_PARAMETER = "TriggerId"
"""The training pipeline's String parameter that receives the trigger's run token (SHA-256 of
the idempotency key: the ``ClientRequestToken`` of the execution and the claim's key in the
runtime table); the lineage record and the package's ``mlops:trigger.id`` keep it."""
