"""The Pulumi program of this repository: the example system named by the stack config
(``<project>:spec``), built by the public component, and the outputs contract exported."""

import pulumi

from mlops_components import MlSystem, MlSystemArgs

system = MlSystem("system", MlSystemArgs(spec=pulumi.Config().require("spec")))
for name, value in system.stack_outputs.items():  # the outputs contract: docs/outputs.md
    pulumi.export(name, value)
