"""The base of every configuration section, and the ceiling of every wait: one module apart
from `importer.config` so that a section defined elsewhere (the `notify` settings, next to the
code that sends) is validated exactly as the rest, without importing the whole configuration."""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class Section(BaseModel):
    # `.inf` and `.nan` are valid YAML floats; no timeout or wait of ours means either.
    # Frozen: a setting changes only through `importer.config_load.with_settings`, which validates
    # the result, so every limit is written once and holds for the command line's overrides too.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_switch_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads `true`, `yes` and `on` as booleans, which pydantic takes for 1 (and
        `false` for 0): `lanes: true` would run one lane without a word. A switch where the
        setting is no switch is a typo."""
        if value.__class__ is bool and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            # a number or a free text only: a section, a mapping or a list of choices is
            # refused by pydantic, whose message says what it wants ('marker', 'stable'…)
            union = get_origin(annotation) in (Union, UnionType)
            kinds = get_args(annotation) if union else (annotation,)
            if any(kind in (int, float, str, Path) for kind in kinds):
                raise ValueError("expected a number or a text, not true/false (yes/no, on/off)")
        return value


HOUR = 3600.0
"""The ceiling of every timeout and wait: a setting beyond it is a typo, not a wish, and a
nightly run that sleeps for a day is the failure the ceiling prevents."""
