"""The comparisons the loss-law papers report, reproduced with the published parameters (no data files needed).

Multi-power law (Luo et al., github.com/thu-yao-01-luo/MultiPowerLaw): at their budget (24,000 updates, a
2,160-update warmup to 3e-4) their runs end in the order constant > cosine to 3e-5 > WSD with a 4,000-update
linear decay > the same with a geometric decay, and their optimiser's schedule ends below WSD. The logged final
losses below are the last rows of their ``loss_curve_repo/csv_<size>/*.csv``; their optimiser's predicted final
losses are the "Final Loss" lines of their ``logs/<size>.log``. ``scripts/laws_published.py`` prints all of it.

Annealing law (Tissue et al., arXiv 2408.11029, sec. 4): a lower cosine ``min_lr`` ends lower; WSD's best decay
fraction is a minority of the run and shrinks as the run grows; WSD with its best decay beats cosine by about
0.05 nats. It has no published parameter set: ``ANNEALING_400M`` is the law fitted by
``scripts/laws_published.py`` on the multi-power-law authors' 400M cosine run.
"""

from __future__ import annotations

import numpy as np
import pytest

from schedules import curve, load_spec
from schedules.laws import PRESETS, optimize, predict

PEAK, WARMUP, BUDGET = 3e-4, 2160, 24_000
#: Last logged loss of each run (constant_24000, cosine_24000, wsd_20000_24000, wsdld_20000_24000 .csv) and
#: the update it was logged at (their CSVs end at 23,904 to 23,936).
LAST_STEP = {
    "25": (23936, 23920, 23904, 23904),
    "100": (23936, 23920, 23904, 23904),
    "400": (23936, 23920, 23936, 23936),
}
LOGGED = {
    "25": (3.3473, 3.3044, 3.2766, 3.2776),
    "100": (3.0354, 2.9791, 2.9514, 2.9535),
    "400": (2.8167, 2.7396, 2.7222, 2.7251),
}
#: The authors' README: worst relative error of the published parameters on their test runs (WorstE).
WORST = {"25": 0.00409, "100": 0.00583, "400": 0.00995}
#: "Final Loss" of the authors' schedule optimisation, logs/<size>.log (the paper's form of the law).
AUTHORS_OPT_FINAL = {"25": 3.1496773780559524, "100": 2.794136776132377, "400": 2.533218602559499}
ANNEALING_400M = {"L0": 2.50263, "A": 0.671901, "alpha": 0.410866, "C": 0.542042, "lam": 0.999}


def spec(schedule: dict, total: int = BUDGET, warmup: int = WARMUP):
    return load_spec({"total_steps": total, "lr": PEAK, "warmup": {"steps": warmup}, "schedule": schedule})


CONSTANT = {"type": "constant"}
COSINE = {"type": "cosine", "min_lr": 3e-5}
WSD_GEOMETRIC = {
    "type": "wsd",
    "decay_steps": 4000,
    "min_lr": 3e-5,
    "shape": "exponential",
    "half_life": 4000 * np.log(2) / np.log(10),
}
WSD_LINEAR = {"type": "wsd", "decay_steps": 4000, "min_lr": 3e-5, "shape": "linear"}
RUNS = (CONSTANT, COSINE, WSD_GEOMETRIC, WSD_LINEAR)


def final(s, law: str, params, at: int | None = None) -> float:
    return predict(s, law, params, at=[s.total_steps - 1 if at is None else at]).final


def at_logged_ends(size: str) -> tuple[float, ...]:
    """The published law's loss for each of the authors' runs at the update its last row was logged."""
    return tuple(final(spec(r), "mpl", f"mpl-{size}m", at) for r, at in zip(RUNS, LAST_STEP[size], strict=True))


def paper_form_final(eta: np.ndarray, p: dict[str, float]) -> float:
    """The final loss as the authors' optimiser computes it (MultiPowerLaw src/optimization.py lines 47-56):
    warmup area ``0.5 * peak * W``, the lr decrements after warmup from the peak, no warmup terms."""
    delta = -np.diff(np.concatenate([[PEAK], eta]))
    lr_sum = np.concatenate([[0.0], np.cumsum(eta)]) + 0.5 * PEAK * WARMUP
    drop = np.sum(delta * (1.0 - (1.0 + p["C"] * eta ** -p["gamma"] * (lr_sum[-1] - lr_sum[:-1])) ** -p["beta"]))
    return float(p["L0"] + p["A"] * lr_sum[-1] ** -p["alpha"] - p["B"] * drop)


@pytest.mark.parametrize("size", ["25", "100", "400"])
def test_published_mpl_orders_the_authors_runs_as_they_ended(size: str) -> None:
    constant, cosine, wsd_geo, wsd_lin = at_logged_ends(size)
    logged = LOGGED[size]
    assert logged[0] > logged[1] > logged[3] > logged[2]
    # the two WSD shapes are a near tie (0.0005-0.0008 nats predicted, 0.001-0.003 logged) in the same order
    assert constant > cosine > wsd_lin > wsd_geo
    # each final loss within the worst relative error the authors report on their test runs (plus rounding)
    for pred, seen in zip((constant, cosine, wsd_geo, wsd_lin), logged, strict=True):
        assert abs(pred - seen) <= 2.5 * WORST[size] * seen


@pytest.mark.parametrize("size", ["25", "100", "400"])
def test_published_mpl_gaps_are_within_twice_the_reported_worst_error(size: str) -> None:
    # A gap is the difference of two predictions, each off by up to WorstE: the law overstates WSD's lead over
    # cosine (0.048-0.057 predicted, 0.017-0.028 logged) but stays within that band.
    constant, cosine, wsd_geo, _ = at_logged_ends(size)
    logged = LOGGED[size]
    band = 2 * WORST[size] * logged[1]
    assert abs((cosine - wsd_geo) - (logged[1] - logged[2])) <= band
    assert abs((constant - cosine) - (logged[0] - logged[1])) <= band
    assert 0.045 < cosine - wsd_geo < 0.06
    assert cosine - wsd_geo > 1.5 * (logged[1] - logged[2])  # the overstatement docs/loss-laws.md reports


@pytest.mark.parametrize("size", ["25", "100", "400"])
def test_the_best_wsd_matches_the_authors_optimised_schedule(size: str) -> None:
    preset = f"mpl-{size}m"
    sug = optimize("mpl", preset, BUDGET, PEAK, "wsd", warmup_steps=WARMUP, min_lr=0.0)
    wsd = final(spec(WSD_GEOMETRIC), "mpl", preset)
    cosine = final(spec(COSINE), "mpl", preset)
    assert sug.final < wsd - 0.005 < cosine - 0.05
    # the authors' free-form optimum (logged in the paper's form of the law) is at most 1e-3 nats better than
    # the best WSD schedule: their optimised schedule is a WSD with a short decay to near 0
    ours = paper_form_final(curve(sug.spec)[WARMUP:], PRESETS[preset].params)
    assert AUTHORS_OPT_FINAL[size] <= ours <= AUTHORS_OPT_FINAL[size] + 1e-3
    decay = dict(sug.spec.schedule.params)["decay_steps"]
    assert 0.08 < decay / (BUDGET - WARMUP) < 0.16


def test_the_paper_form_is_the_code_form_shifted_by_the_warmups_rise() -> None:
    p = PRESETS["mpl-400m"].params
    offsets = [final(spec(r), "mpl", p) - paper_form_final(curve(spec(r))[WARMUP:], p) for r in RUNS]
    assert all(0.15 < o < p["B"] * PEAK for o in offsets)
    assert max(offsets) - min(offsets) < 2e-3


def test_annealing_law_cosine_min_lr_lower_ends_lower() -> None:
    for total in (BUDGET, 72_000):
        finals = [
            final(spec({"type": "cosine", "min_lr": m}, total), "annealing", ANNEALING_400M)
            for m in (0.0, 3e-5, 1.5e-4)
        ]
        assert finals[0] < finals[1] < finals[2]


def test_annealing_law_best_wsd_fraction_is_a_minority_and_shrinks_with_the_run() -> None:
    fractions, gains = [], []
    for total in (BUDGET, 72_000):
        sug = optimize("annealing", ANNEALING_400M, total, PEAK, "wsd", warmup_steps=WARMUP, min_lr=0.0)
        fractions.append(dict(sug.spec.schedule.params)["decay_steps"] / (total - WARMUP))
        gains.append(final(spec({"type": "cosine", "min_lr": 0.0}, total), "annealing", ANNEALING_400M) - sug.final)
    assert 0.1 < fractions[1] < fractions[0] < 0.35
    assert all(0.03 < g < 0.07 for g in gains)


def test_both_laws_prefer_a_shorter_warmup() -> None:
    for law, params in (("annealing", ANNEALING_400M), ("mpl", "mpl-400m")):
        finals = [final(spec(COSINE, warmup=w), law, params) for w in (500, 2160, 5000)]
        assert finals[0] < finals[1] < finals[2]
