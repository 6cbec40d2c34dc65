"""Event constants shared by the rules the planner writes and the trigger that reads them."""

SCHEDULE_SOURCE = "mlops.schedule"
"""EventBridge ``source`` of the events the retraining schedules send to the trigger."""
REASON_PARAMETER = "TriggerReason"
"""The training pipeline's String parameter that receives why a run started (the register
step copies it into the package's ``mlops:trigger`` metadata)."""
