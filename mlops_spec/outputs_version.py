"""The stack outputs contract's version, apart from its reader (``mlops_spec.outputs``), so
the Pulumi program that writes the outputs does not import the reader's records."""

CONTRACT_VERSION = 1
"""Changes when an output key is removed or changes meaning (an added key does not)."""
