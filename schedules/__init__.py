"""The schedule engine: a JSON spec (v1) in, an exact learning-rate curve out.

Pure: NumPy and the standard library only. Public API:

- :func:`load_spec` validates a dict, JSON text or path into a frozen :class:`Spec`.
- :func:`curve` gives the float64 lr used by each optimizer update; :func:`momentum_curve` the momentum;
  :func:`reduce_blocks` reduces a long curve block by block without holding it whole.
- :data:`FAMILIES` is the registry every consumer (validation, UI, exporters) reads.
"""

from __future__ import annotations

from schedules.curve import curve, group_curves, momentum_curve, reduce_blocks, warmup_target
from schedules.errors import SpecError
from schedules.presets import load_preset, preset_names
from schedules.registry import FAMILIES, WARMUP_SHAPES, Family
from schedules.spec import Spec, load_spec, loads_spec

__all__ = [
    "FAMILIES",
    "WARMUP_SHAPES",
    "Family",
    "Spec",
    "SpecError",
    "curve",
    "group_curves",
    "load_preset",
    "load_spec",
    "loads_spec",
    "momentum_curve",
    "preset_names",
    "reduce_blocks",
    "warmup_target",
]
