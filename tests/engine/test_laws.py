"""schedules.laws: the laws equal their authors' formulas, the fast sum keeps its certified bound, fits recover
known parameters and report held-out error, bad input names its field, the optimiser never loses to its baseline.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from schedules import SpecError, curve, load_spec
from schedules.laws import LAWS, PRESETS, fit, fit_from_dict, optimize, params_from_dict, predict
from schedules.laws import mpl as mpl_sum
from schedules.laws.predict import from_rest, mpl_curve
from tests.support.spec_strategies import valid_spec_dicts

P400 = PRESETS["mpl-400m"].params


def authors_mpl(lrs: np.ndarray, step: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """The multi-power law as its authors evaluate it, transcribed from github.com/thu-yao-01-luo/MultiPowerLaw
    src/evaluation.py lines 25-43 (lr_sum, lr_gap, the LD loop and pred) and src/utils.py lines 25-30."""
    L0, A, alpha, B, C, beta, gamma = (p[k] for k in ("L0", "A", "alpha", "B", "C", "beta", "gamma"))
    lr_sum = np.cumsum(lrs)
    lr_gap = np.zeros(len(lrs))
    lr_gap[1:] = np.diff(lrs)
    S1 = lr_sum[step]
    LD = np.zeros(len(step))
    for i, s in enumerate(step):
        LD[i] = np.sum(
            lr_gap[1 : s + 1] * (1 - (1 + C * lrs[1 : s + 1] ** (-gamma) * (lr_sum[s] - lr_sum[:s])) ** (-beta))
        )
    return L0 + A * S1 ** (-alpha) + B * LD


def paper_annealing(lrs: np.ndarray, step: np.ndarray, p: dict[str, float], start: int) -> np.ndarray:
    """The annealing law as Tissue et al. define it (arXiv 2408.11029, sec. 3), one update at a time:
    m_i = lam * m_{i-1} + (eta_{i-1} - eta_i) (0 up to the end of warmup), S2 = sum m_i, S1 = sum eta_i."""
    m, s2, out = 0.0, 0.0, {}
    for i in range(len(lrs)):
        if i > start:
            m = p["lam"] * m + (lrs[i - 1] - lrs[i])
        s2 += m
        out[i] = s2
    s1 = np.cumsum(lrs)
    return np.array([p["L0"] + p["A"] * s1[s] ** -p["alpha"] - p["C"] * out[s] for s in step])


mpl_params = st.fixed_dictionaries(
    {
        "L0": st.floats(0.5, 5.0),
        "A": st.floats(0.0, 2.0),
        "alpha": st.floats(0.1, 1.0),
        "B": st.floats(0.0, 2000.0),
        "C": st.floats(0.01, 10.0),
        "beta": st.floats(0.1, 1.5),
        "gamma": st.floats(0.0, 1.2),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=valid_spec_dicts(max_steps=400), p=mpl_params)
def test_mpl_equals_the_authors_evaluation_on_random_schedules(data: dict, p: dict) -> None:
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
    lrs = curve(spec)
    first = int(np.argmax(lrs > 0))
    assume(lrs[first] > 0 and first < spec.total_steps - 1)
    at = np.unique(np.linspace(first, spec.total_steps - 1, 25).astype(np.int64))
    ours = predict(spec, "mpl", p, at=at, tol=0).loss
    # The authors' runs start from lr 0 (a warmup); a schedule starting above 0 is evaluated from 0 likewise.
    rest, lead = from_rest(lrs)
    with np.errstate(all="ignore"):
        ref = authors_mpl(rest, at + lead, p)
    assume(np.all(np.isfinite(ref)))  # the authors' code gives NaN where an lr is exactly 0 before the point
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=0)


@settings(max_examples=40, deadline=None)
@given(data=valid_spec_dicts(max_steps=400), lam=st.floats(0.5, 1.0), alpha=st.floats(0.1, 1.0))
def test_annealing_equals_the_papers_recurrence_on_random_schedules(data: dict, lam: float, alpha: float) -> None:
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
    lrs = curve(spec)
    first = int(np.argmax(lrs > 0))
    assume(lrs[first] > 0)
    p = params_from_dict("annealing", {"L0": 2.0, "A": 0.5, "alpha": alpha, "C": 3.0, "lam": lam})
    at = np.unique(np.linspace(first, spec.total_steps - 1, 25).astype(np.int64))
    ours = predict(spec, "annealing", p, at=at).loss
    ref = paper_annealing(lrs, at, p, min(spec.warmup.steps, spec.total_steps - 1))
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 3000),
    p=mpl_params,
    eps=st.sampled_from([1e-9, 1e-7, 1e-5, 1e-3]),
    kind=st.sampled_from(["smooth", "steps", "noise"]),
)
def test_the_fast_sum_stays_within_its_certified_bound(seed: int, n: int, p: dict, eps: float, kind: str) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    if kind == "smooth":
        lrs = 3e-4 * (0.1 + 0.9 * (1 + np.cos(np.pi * t / n)) / 2) * np.minimum(1.0, (t + 1) / max(1, n // 10))
    elif kind == "steps":
        lrs = 3e-4 * rng.uniform(0.05, 1.0) ** np.searchsorted(np.sort(rng.integers(0, n, 4)), t)
    else:
        lrs = rng.uniform(0.0, 1e-3, n)
    lrs[0] = max(lrs[0], 1e-6)
    at = np.unique(rng.integers(0, n, 30))
    pre = mpl_sum.prefix(lrs)
    fast, bound, plan = mpl_sum.loss_drop(pre, at, p["C"], p["beta"], p["gamma"], np.full(len(at), eps), keep=True)
    with np.errstate(all="ignore"):
        exact = authors_mpl(lrs, at, {**p, "L0": 0.0, "A": 0.0, "B": 1.0})
    assume(np.all(np.isfinite(exact)))
    assert np.all(np.abs(fast - exact) <= bound + 1e-13 * (1 + np.abs(exact)))
    again, again_bound = plan.evaluate(p["C"], p["beta"], p["gamma"])
    np.testing.assert_allclose(again, fast, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(again_bound, bound, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("tol", [1e-3, 1e-4, 1e-6])
def test_a_curve_meets_the_requested_tolerance_and_the_naive_sum(tol: float) -> None:
    spec = load_spec(
        {"total_steps": 30000, "lr": 3e-4, "warmup": {"steps": 2160}, "schedule": {"type": "cosine", "min_lr": 3e-5}}
    )
    lrs = curve(spec)
    at = np.array([2160, 5000, 12345, 24000, 29999])
    loss, bound = mpl_curve(mpl_sum.prefix(lrs), at, P400, tol)
    assert bound <= tol
    assert np.all(np.abs(loss - authors_mpl(lrs, at, P400)) <= bound + 1e-12)


def test_a_constant_schedule_is_its_closed_form_within_the_bound() -> None:
    # One lr change only, the jump from 0 at the start: L0 + A S^-alpha + B (0 - eta) G(eta^-gamma S).
    spec = load_spec({"total_steps": 1_000_000, "lr": 3e-4, "schedule": {"type": "constant"}})
    pred = predict(spec, "mpl", "mpl-400m")
    area = 3e-4 * (pred.steps + 1)
    g = 1 - (1 + P400["C"] * 3e-4 ** -P400["gamma"] * area) ** -P400["beta"]
    closed = P400["L0"] + P400["A"] * area ** -P400["alpha"] + P400["B"] * 3e-4 * g
    assert pred.bound <= 1e-4
    assert np.all(np.abs(pred.loss - closed) <= pred.bound + 1e-12)


def test_default_curve_runs_from_the_end_of_warmup_to_the_last_update() -> None:
    spec = load_spec(
        {
            "total_steps": 24000,
            "lr": 3e-4,
            "warmup": {"steps": 2160},
            "schedule": {"type": "wsd", "decay_steps": 4000, "min_lr": 3e-5, "shape": "linear"},
        }
    )
    pred = predict(spec, "mpl", "mpl-400m")
    assert pred.steps[0] == 2160 and pred.steps[-1] == 23999 and 900 <= len(pred.steps) <= 1000
    assert np.all(np.diff(pred.steps) > 0)
    assert pred.notes == ()  # the authors' own setting: peak 3e-4, 24,000 updates
    # the decay pays off: loss falls faster in the last 4,000 updates than a constant lr would
    const = predict(spec.replace(schedule={"type": "constant"}), "mpl", "mpl-400m")
    assert pred.final < const.final - 0.05


def test_a_prediction_outside_the_fit_says_so() -> None:
    spec = load_spec({"total_steps": 100_000, "lr": 1e-3, "schedule": {"type": "cosine"}})
    notes = predict(spec, "mpl", "mpl-100m").notes
    assert any("peak lr 0.001 is outside the fitted peak lr (0.0003)" in n for n in notes)
    assert any("100,000 updates is longer than anything" in n for n in notes)
    assert any("no record of what they were fitted on" in n for n in predict(spec, "mpl", dict(P400)).notes)


def test_presets_carry_the_authors_published_values() -> None:
    # src/config.py lines 33-35 of the authors' repository (L0, A, alpha, B, C, beta, gamma)
    assert list(PRESETS["mpl-400m"].params.values()) == [
        2.37474466,
        0.65421216,
        0.42878731,
        523.42464371,
        2.02462735,
        0.59350493,
        0.63472457,
    ]
    for name, mean in (("mpl-25m", "0.110 %"), ("mpl-100m", "0.142 %"), ("mpl-400m", "0.168 %")):
        p = PRESETS[name]
        assert p.law == "mpl" and mean in p.error and "config.py" in p.source
        assert p.fitted_on.peak_lr == (3e-4, 3e-4) and p.fitted_on.steps == 24000
        assert params_from_dict("mpl", p.params) == p.params


def _noisy(spec, law: str, params: dict, noise: float, seed: int = 0):
    steps = np.arange(spec.warmup.steps, spec.total_steps, 5)
    clean = predict(spec, law, params, at=steps, tol=0).loss
    rng = np.random.default_rng(seed)
    return steps, curve(spec)[steps], clean * (1 + noise * rng.normal(size=len(steps))), clean


def test_an_mpl_fit_recovers_its_parameters_and_predicts_the_held_out_end_within_the_noise() -> None:
    # several lr levels (drops to 1/3 and 1/9 of the peak, then a decay), as in the authors' fit set
    spec = load_spec(
        {
            "total_steps": 12000,
            "lr": 3e-4,
            "warmup": {"steps": 500},
            "schedule": {"type": "multistep", "milestones": [3000, 6000, 9000], "gamma": 0.5},
        }
    )
    noise = 1e-3
    steps, lrs, y, clean = _noisy(spec, "mpl", P400, noise)
    f = fit(steps, lrs, y, "mpl", lr_curve=spec)
    for key in ("L0", "A", "alpha"):
        assert f.params[key] == pytest.approx(P400[key], rel=0.05), key
    # within the noise: mean |noise| is 0.8e-3 relative
    assert f.heldout_error < 1.5 * noise
    held = predict(spec, "mpl", f, at=steps[f.n_train :]).loss
    assert np.mean(np.abs(held - clean[f.n_train :]) / clean[f.n_train :]) < 0.5 * noise
    assert f.split_step == steps[f.n_train]


def test_an_annealing_fit_recovers_its_parameters() -> None:
    spec = load_spec(
        {"total_steps": 20000, "lr": 3e-4, "warmup": {"steps": 1000}, "schedule": {"type": "cosine", "min_lr": 3e-5}}
    )
    truth = {"L0": 2.4, "A": 0.7, "alpha": 0.45, "C": 0.5, "lam": 0.999}
    steps, lrs, y, _clean = _noisy(spec, "annealing", truth, 1e-3)
    f = fit(steps, lrs, y, "annealing", lr_curve=spec)
    for key in ("L0", "A", "alpha", "C"):
        assert f.params[key] == pytest.approx(truth[key], rel=0.05), key
    assert f.heldout_error < 1.5e-3


def test_a_fit_serialises_to_plain_data_and_back() -> None:
    spec = load_spec(
        {"total_steps": 5000, "lr": 3e-4, "warmup": {"steps": 200}, "schedule": {"type": "cosine", "min_lr": 3e-5}}
    )
    steps, lrs, y, _ = _noisy(spec, "annealing", {"L0": 2.4, "A": 0.7, "alpha": 0.45, "C": 0.5, "lam": 0.999}, 1e-3)
    f = fit(steps, lrs, y, "annealing")
    data = f.to_dict()
    back = fit_from_dict(data)
    assert back.params == f.params and back.heldout_error == f.heldout_error
    assert "interpolated" in f.notes[0]
    np.testing.assert_array_equal(predict(spec, "annealing", back).loss, predict(spec, "annealing", f).loss)
    with pytest.raises(SpecError, match=r"^params\.alpha: must be > 0"):
        fit_from_dict({**data, "params": {**data["params"], "alpha": -1}})
    with pytest.raises(SpecError, match=r"^fit\.heldout_error: must be a finite number"):
        fit_from_dict({**data, "heldout_error": "x"})


def test_a_log_without_decay_is_flagged() -> None:
    spec = load_spec({"total_steps": 5000, "lr": 3e-4, "warmup": {"steps": 200}, "schedule": {"type": "constant"}})
    steps, lrs, y, _ = _noisy(spec, "mpl", P400, 1e-3)
    assert any("no lr decay" in n for n in fit(steps, lrs, y, "annealing").notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": [1, 2, 3]}, r"^steps: must have at least 8 logged points"),
        ({"steps": [0, 1, 2, 3, 5, 4, 6, 7, 8, 9]}, r"^steps\[5\]: must be larger than the step before"),
        ({"steps": [0.5, *list(range(1, 10))]}, r"^steps: must be whole update indices"),
        ({"lrs": [1e-3] * 9}, r"^lrs: must have one value per logged step"),
        ({"lrs": [1e-3] * 4 + [-1.0] + [1e-3] * 5}, r"^lrs\[4\]: must be >= 0"),
        ({"lrs": [0.0] * 10}, r"^lrs: must have a value > 0"),
        ({"losses": [3.0] * 3 + [float("nan")] + [3.0] * 6}, r"^losses\[3\]: must be finite"),
        ({"losses": [3.0] * 9 + [0.0]}, r"^losses\[9\]: must be > 0"),
        ({"losses": "abc"}, r"^losses: must be a list of numbers"),
        ({"law": "chinchilla"}, r"^law: must be one of mpl, annealing"),
        ({"holdout": 0.0}, r"^holdout: must be a fraction"),
        ({"lr_curve": [1e-3] * 3}, r"^lr_curve: must hold an lr >= 0 for each of the 10 updates"),
    ],
)
def test_fit_input_errors_name_the_field(kwargs: dict, message: str) -> None:
    args = {"steps": list(range(10)), "lrs": [1e-3] * 10, "losses": [3.0 - 0.01 * i for i in range(10)]}
    args.update(kwargs)
    with pytest.raises(SpecError, match=message):
        fit(args.pop("steps"), args.pop("lrs"), args.pop("losses"), **args)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**P400, "alpha": -0.1}, r"^params\.alpha: must be > 0 and <= 5"),
        ({**P400, "B": float("inf")}, r"^params\.B: must be finite"),
        ({**P400, "gamma": True}, r"^params\.gamma: must be a number"),
        ({k: v for k, v in P400.items() if k != "C"}, r"^params\.C: is required"),
        ({**P400, "delta": 1.0}, r"^params\.delta: is not a parameter of the law"),
        ([1, 2], r"^params: must be an object"),
    ],
)
def test_parameter_errors_name_the_field(data, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        params_from_dict("mpl", data)


def test_predict_input_errors_name_the_field() -> None:
    spec = load_spec({"total_steps": 1000, "lr": 3e-4, "warmup": {"steps": 100}, "schedule": {"type": "cosine"}})
    with pytest.raises(SpecError, match=r"^at: must lie within 0 \.\. 999"):
        predict(spec, "mpl", "mpl-400m", at=[10, 1000])
    with pytest.raises(SpecError, match=r"^at: must be updates after the lr first becomes > 0 \(update 1\)"):
        predict(spec, "mpl", "mpl-400m", at=[0, 500])
    with pytest.raises(SpecError, match=r"^at: must be whole numbers"):
        predict(spec, "mpl", "mpl-400m", at=[10.5])
    with pytest.raises(SpecError, match=r"^law: does not match the preset 'mpl-400m'"):
        predict(spec, "annealing", "mpl-400m")
    with pytest.raises(SpecError, match=r"^preset: must be one of"):
        predict(spec, "mpl", "mpl-7b")
    with pytest.raises(SpecError, match=r"^tol: must be a number"):
        predict(spec, "mpl", "mpl-400m", tol=-1)
    assert set(LAWS) == {"mpl", "annealing"}


@pytest.mark.parametrize(
    ("family", "baseline"),
    [
        ("wsd", {"type": "cosine", "min_lr": 3e-5}),
        ("wsd", {"type": "wsd", "decay_fraction": 0.2, "shape": "sqrt"}),
        ("cosine", {"type": "cosine", "min_lr": 3e-5}),
        ("linear", {"type": "constant"}),
    ],
)
def test_optimize_returns_a_valid_spec_that_is_predicted_no_worse(family: str, baseline: dict) -> None:
    base = load_spec({"total_steps": 20000, "lr": 3e-4, "warmup": {"steps": 1000}, "schedule": baseline})
    spec, gain = optimize("mpl", "mpl-400m", 20000, 3e-4, family, warmup_steps=1000, baseline=base)
    assert load_spec(spec.to_dict()) == spec and spec.total_steps == 20000 and spec.lr == 3e-4
    assert spec.schedule.type == family and spec.warmup.steps == 1000
    final = predict(spec, "mpl", "mpl-400m", at=[19999], tol=1e-7).final
    before = predict(base, "mpl", "mpl-400m", at=[19999], tol=1e-7).final
    assert final <= before + 1e-6
    assert gain == pytest.approx(before - final, abs=2e-6)


def test_optimize_with_the_annealing_law_and_a_tuned_warmup() -> None:
    sug = optimize(
        "annealing",
        {"L0": 2.4, "A": 0.7, "alpha": 0.45, "C": 0.5},
        8000,
        3e-4,
        "cosine",
        warmup_steps=400,
        tune_warmup=True,
        warmup_range=(100, 800),
    )
    assert 100 <= sug.spec.warmup.steps <= 800 and sug.gain >= 0
    assert any("shortest warmup" in n for n in sug.notes)
    with pytest.raises(SpecError, match=r"^family: must be one of wsd, cosine, linear"):
        optimize("mpl", "mpl-400m", 1000, 3e-4, "step")
    with pytest.raises(SpecError, match=r"^peak_lr: must be > 0"):
        optimize("mpl", "mpl-400m", 1000, 0.0)
    with pytest.raises(SpecError, match=r"^warmup_steps: must be a whole number"):
        optimize("mpl", "mpl-400m", 1000, 3e-4, warmup_steps=1000)


def test_the_published_400m_law_prefers_wsd_to_cosine_at_the_authors_budget() -> None:
    # the authors' runs at 24,000 updates: WSD (4,000 decay updates to 3e-5) ends below cosine to 3e-5
    common = {"total_steps": 24000, "lr": 3e-4, "warmup": {"steps": 2160}}
    cos = predict({**common, "schedule": {"type": "cosine", "min_lr": 3e-5}}, "mpl", "mpl-400m", at=[23999]).final
    wsd = predict(
        {**common, "schedule": {"type": "wsd", "decay_steps": 4000, "min_lr": 3e-5, "shape": "linear"}},
        "mpl",
        "mpl-400m",
        at=[23999],
    ).final
    assert 0.03 < cos - wsd < 0.08
    assert math.isfinite(cos)


def test_a_schedule_without_warmup_is_not_predicted_lower_for_skipping_the_rise_from_zero() -> None:
    # The fits all warm up from 0; a schedule starting at its peak jumps from 0 the same way. Warmup or not,
    # the final losses differ by what the warmup's smaller lr area costs, not by B x peak (~0.16 nats).
    common = {"total_steps": 24000, "lr": 3e-4, "schedule": {"type": "cosine", "min_lr": 3e-5}}
    warm = predict({**common, "warmup": {"steps": 2160}}, "mpl", "mpl-400m", at=[23999]).final
    cold = predict(common, "mpl", "mpl-400m", at=[23999]).final
    assert 0 < warm - cold < 0.01
    jump = load_spec({**common, "warmup": {"steps": 1}})  # lr 0 at update 0, then the cosine: the same jump
    assert abs(predict(jump, "mpl", "mpl-400m", at=[23999]).final - cold) < 1e-3
