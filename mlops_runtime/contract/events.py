"""Event constants shared by the rules the planner writes and the trigger that reads them."""

SCHEDULE_SOURCE = "mlops.schedule"
"""EventBridge ``source`` of the events the retraining schedules send to the trigger."""
