"""The laws, their parameters (validated like a spec field) and the published parameter sets.

A parameter set is a plain dict ``{name: float}``: what a share link carries. :func:`params_from_dict`
checks one (every name known and present, every value a finite number in its range) and raises
:class:`~schedules.errors.SpecError` naming the field, e.g. ``params.alpha: must be > 0 and <= 5 (got -1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from schedules.errors import SpecError


@dataclass(frozen=True)
class LawParam:
    """One constant of a law: its range and what it means."""

    name: str
    low: float
    high: float
    help: str
    low_open: bool = False
    default: float | None = None

    def check(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(path, "must be a number", value)
        value = float(value)
        if not math.isfinite(value):
            raise SpecError(path, "must be finite", value)
        if (value <= self.low if self.low_open else value < self.low) or value > self.high:
            raise SpecError(path, f"must be {'>' if self.low_open else '>='} {self.low:g} and <= {self.high:g}", value)
        return value


@dataclass(frozen=True)
class Law:
    """A schedule-to-loss law: its formula in words, its constants and where it is published."""

    name: str
    label: str
    formula: str
    params: tuple[LawParam, ...]
    reference: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


LAWS: dict[str, Law] = {
    law.name: law
    for law in (
        Law(
            "mpl",
            "Multi-power law",
            "L(s) = L0 + A*(S1(s))^-alpha + B*sum_{k<=s} (eta_k - eta_{k-1})*G(eta_k^-gamma * S_k(s)), "
            "G(x) = 1 - (C*x + 1)^-beta, S1(s) = eta_0 + ... + eta_s (warmup included), S_k(s) = eta_k + ... + eta_s",
            (
                LawParam("L0", 0.0, 100.0, "the loss it tends to with unlimited lr area", low_open=True),
                LawParam("A", 0.0, 1000.0, "size of the power-law term"),
                LawParam("alpha", 0.0, 5.0, "exponent of the lr area", low_open=True),
                LawParam("B", 0.0, 1e6, "size of the loss drop an lr decrease brings"),
                LawParam("C", 0.0, 1e6, "how fast a drop is realised", low_open=True),
                LawParam("beta", 0.0, 10.0, "exponent of the drop's saturation", low_open=True),
                LawParam("gamma", 0.0, 2.0, "how the drop's speed scales with the lr after it"),
            ),
            "Luo et al., A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules, ICLR 2025, "
            "arXiv 2503.12811; code github.com/thu-yao-01-luo/MultiPowerLaw",
        ),
        Law(
            "annealing",
            "Annealing law",
            "L(s) = L0 + A*S1(s)^-alpha - C*S2(s), S1 = eta_0 + ... + eta_s (warmup included), "
            "S2 = m_1 + ... + m_s, m_i = lam*m_{i-1} + (eta_{i-1} - eta_i) after warmup (0 during it)",
            (
                LawParam("L0", 0.0, 100.0, "the loss it tends to with unlimited lr area", low_open=True),
                LawParam("A", 0.0, 1000.0, "size of the power-law term"),
                LawParam("alpha", 0.0, 5.0, "exponent of the lr area", low_open=True),
                LawParam("C", 0.0, 1e6, "loss drop per unit of annealing area"),
                LawParam(
                    "lam", 0.5, 1.0, "decay of the annealing momentum per update (the paper: 0.999)", default=0.999
                ),
            ),
            "Tissue, Wang, Wang, Scaling Law with Learning Rate Annealing, arXiv 2408.11029",
        ),
    )
}


def law_of(name: Any) -> Law:
    """The law called ``name``; SpecError naming ``law`` otherwise."""
    if not isinstance(name, str) or name not in LAWS:
        raise SpecError("law", "must be one of " + ", ".join(LAWS), name)
    return LAWS[name]


def params_from_dict(law: str, data: Any) -> dict[str, float]:
    """Validate a law's parameters given as a plain dict (from JSON, a share link, a form).

    Every parameter of the law must be present (``lam`` of the annealing law may be left out: 0.999), no
    other key is allowed, and each value is a finite number in the range of :data:`LAWS`.

    Raises:
        SpecError: naming ``law`` or ``params.<name>``.
    """
    spec = law_of(law)
    if not isinstance(data, dict):
        raise SpecError("params", 'must be an object like {"L0": 2.4, ...}', data)
    for key in data:
        if key not in spec.names:
            name = key if isinstance(key, str) else "?"
            raise SpecError(f"params.{name}", "is not a parameter of the law; allowed: " + ", ".join(spec.names))
    out: dict[str, float] = {}
    for p in spec.params:
        if p.name not in data:
            if p.default is None:
                raise SpecError(f"params.{p.name}", "is required (a number)")
            out[p.name] = p.default
            continue
        out[p.name] = p.check(data[p.name], f"params.{p.name}")
    return out


@dataclass(frozen=True)
class FittedOn:
    """What a parameter set was fitted on: outside it, a prediction is an extrapolation."""

    peak_lr: tuple[float, float]
    steps: int
    description: str
    tested_steps: int | None = None


@dataclass(frozen=True)
class Preset:
    """A published parameter set, with what it was fitted on and its reported error."""

    name: str
    law: str
    label: str
    params: dict[str, float]
    fitted_on: FittedOn
    error: str
    source: str
    #: The worst relative error reported on the test runs (a fraction): the band drawn around a prediction.
    worst: float


def _mpl(values: tuple[float, ...]) -> dict[str, float]:
    return dict(zip(LAWS["mpl"].names, values, strict=True))


# The authors' runs (their repository, src/data_loader.py lines 33-46 and src/config.py lines 5-19): linear
# warmup over 2,160 updates to a peak lr of 3e-4, then constant / cosine to 3e-5 / WSD to 3e-5 / a step down at
# update 8,000; fitted on cosine_24000, constant_24000 and wsdcon_9, tested on constant_72000, cosine_72000,
# wsd_20000_24000, wsdld_20000_24000, wsdcon_3 and wsdcon_18.
_MPL_RUNS = (
    "GPT models trained by the authors; fitted on 3 runs (cosine and constant over 24,000 updates, a "
    "step down to 9e-5 at update 8,000 of 16,000), all with a 2,160-update linear warmup to a peak lr of "
    "3e-4 and lrs between 3e-5 and 3e-4; tested on 6 other runs up to 72,000 updates. Tokens per update "
    "and batch size are not stated in the authors' repository (see the paper)"
)
_MPL_SOURCE = (
    "github.com/thu-yao-01-luo/MultiPowerLaw, src/config.py lines 31-36 (PARAMS), README.md "
    "'Evaluation Metrics' (PredE: mean relative error, WorstE: worst relative error, test runs)"
)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "mpl-25m",
            "mpl",
            "Multi-power law, 25M model (Luo et al.)",
            _mpl((3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257)),
            FittedOn((3e-4, 3e-4), 24_000, _MPL_RUNS, 72_000),
            "mean relative error 0.110 %, worst 0.409 % on the 6 test runs",
            _MPL_SOURCE,
            0.00409,
        ),
        Preset(
            "mpl-100m",
            "mpl",
            "Multi-power law, 100M model (Luo et al.)",
            _mpl((2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644)),
            FittedOn((3e-4, 3e-4), 24_000, _MPL_RUNS, 72_000),
            "mean relative error 0.142 %, worst 0.583 % on the 6 test runs",
            _MPL_SOURCE,
            0.00583,
        ),
        Preset(
            "mpl-400m",
            "mpl",
            "Multi-power law, 400M model (Luo et al.)",
            _mpl((2.37474466, 0.65421216, 0.42878731, 523.42464371, 2.02462735, 0.59350493, 0.63472457)),
            FittedOn((3e-4, 3e-4), 24_000, _MPL_RUNS, 72_000),
            "mean relative error 0.168 %, worst 0.995 % on the 6 test runs",
            _MPL_SOURCE,
            0.00995,
        ),
    )
}


def preset(name: Any) -> Preset:
    """The published parameter set called ``name``; SpecError naming ``preset`` otherwise."""
    if not isinstance(name, str) or name not in PRESETS:
        raise SpecError("preset", "must be one of " + ", ".join(PRESETS), name)
    return PRESETS[name]
