"""The loss laws on the Train page's own runs (tasks.train.run, seed 0): what scripts/laws_train_runs.py
measures over five seeds, held for one so a regression in the laws, the fit or the trainer shows.

Four schedules of 2,000 updates (constant, cosine to 0, WSD with a 20 % linear decay, a step schedule), the
loss logged as a Trainer logs it (the mean of every 20 updates). Fitted on the first 80 % of the cosine run,
the annealing law orders the four final losses as they ended (5 of 5 seeds); fitted on the constant run (no
decay to learn from) both laws miss what the decays gain: they predict the cosine and step runs ending 0.25
nats or more above where they did (the fit's note says it learnt no decay).
"""

from __future__ import annotations

import numpy as np
import pytest

from schedules import curve, load_spec
from schedules.laws import fit, predict
from tasks.train import run

STEPS, WARMUP, PEAK, LOG_EVERY = 2000, 100, 1e-2, 20
SCHEDULES = {
    "constant": {"type": "constant"},
    "cosine": {"type": "cosine", "min_lr": 0.0},
    "wsd": {"type": "wsd", "decay_steps": 380, "shape": "linear", "min_lr": 0.0},
    "step": {"type": "multistep", "milestones": [950, 1425], "gamma": 0.3},
}


@pytest.fixture(scope="module")
def logs() -> dict:
    out = {}
    for name, schedule in SCHEDULES.items():
        spec = load_spec({"total_steps": STEPS, "lr": PEAK, "warmup": {"steps": WARMUP}, "schedule": schedule})
        r = run(spec, "adam", "teacher", 0, steps=STEPS, batch_size=8, sizes=(64, 16, 10))
        steps = np.arange(LOG_EVERY - 1, STEPS, LOG_EVERY)
        out[name] = (spec, steps, curve(spec)[steps], r.loss.reshape(-1, LOG_EVERY).mean(axis=1))
    return out


def final_losses(logs: dict) -> dict[str, float]:
    return {n: float(loss[-5:].mean()) for n, (_, _, _, loss) in logs.items()}


def test_the_runs_end_in_the_order_lr_decay_predicts(logs: dict) -> None:
    ends = final_losses(logs)
    assert ends["constant"] > ends["wsd"] > ends["step"] > ends["cosine"]
    assert ends["constant"] - ends["cosine"] > 0.15


def test_the_annealing_law_fitted_on_cosine_orders_the_other_schedules(logs: dict) -> None:
    spec, steps, lrs, loss = logs["cosine"]
    f = fit(steps, lrs, loss, "annealing", lr_curve=spec)
    predicted = {n: predict(s, "annealing", f, at=[STEPS - 1]).final for n, (s, _, _, _) in logs.items()}
    ends = final_losses(logs)
    assert sorted(predicted, key=predicted.get) == sorted(ends, key=ends.get)
    assert abs(predicted["wsd"] - ends["wsd"]) < 0.1


@pytest.mark.parametrize("law", ["mpl", "annealing"])
def test_a_fit_on_the_constant_run_misses_what_the_decays_gain(logs: dict, law: str) -> None:
    spec, steps, lrs, loss = logs["constant"]
    f = fit(steps, lrs, loss, law, lr_curve=spec)
    assert any("no lr decay" in n for n in f.notes)
    ends = final_losses(logs)
    for name in ("cosine", "step"):
        assert predict(logs[name][0], law, f, at=[STEPS - 1]).final - ends[name] > 0.2
