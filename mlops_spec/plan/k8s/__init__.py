"""The Kubernetes planner: a resolved spec -> frozen plan data of the Kubernetes resources
(serving, monitors, alerts). Never imports pulumi."""
