"""The shared base of every spec model: strict (unknown keys refused) and frozen."""

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """Base for all spec sections: ``extra="forbid"``, frozen, docstrings as descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
        str_strip_whitespace=False,
    )
