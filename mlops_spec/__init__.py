"""mlops-spec: one validated spec file for an ML system (pure core; never imports pulumi)."""
