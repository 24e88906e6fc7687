"""What every trainer-config export shares: the refusal message, and the fields no config can carry.

A config export is refused with one :class:`SpecError` naming the field the trainer's own schedulers cannot
express, the trainer's rule, and the code export that runs the spec exactly.
"""

from __future__ import annotations

from typing import Any

from schedules.errors import SpecError
from schedules.spec import Spec


def refuse(field: str, rule: str, value: Any, trainer: str, code_target: str) -> SpecError:
    """A refusal naming the field, the trainer's limit and the code export that runs the spec."""
    return SpecError(field, f"{rule} for {trainer}'s own schedulers; the {code_target} code export runs this spec "
                     "exactly", value)


def common_checks(spec: Spec, trainer: str, code_target: str) -> None:
    """What no config-only trainer export can carry: per-group lrs and cycled momentum."""
    if spec.param_groups:
        raise refuse("param_groups", "must be empty (one learning rate for every group)",
                     [g.name for g in spec.param_groups], trainer, code_target)
    if spec.momentum is not None:
        raise refuse("momentum", "must be null (momentum is not scheduled)", "an object", trainer, code_target)
