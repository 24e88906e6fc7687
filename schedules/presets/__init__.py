"""Named, well-known schedules shipped as spec v1 JSON files beside this module."""

from __future__ import annotations

from pathlib import Path

from schedules.errors import SpecError
from schedules.spec import Spec, load_spec

_DIR = Path(__file__).parent


def preset_names() -> list[str]:
    """The preset names (file stems), in a stable order."""
    return sorted(p.stem for p in _DIR.glob("*.json"))


def load_preset(name: str) -> Spec:
    """The validated spec of preset ``name``; SpecError if there is no such preset."""
    if name not in preset_names():
        raise SpecError("preset", "must be one of " + ", ".join(preset_names()), name)
    return load_spec(_DIR / f"{name}.json")
