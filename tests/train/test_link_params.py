"""The Train page's training settings in a share link: every setting round-trips, defaults stay out of the
link, and any text at all decodes to valid settings with a one-line notice per rejected parameter."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ui.train import setup as ts
from ui.train.link_params import HYPER_KEYS, SLUGS, TRAIN_KEYS, TrainSettings, decode, encode


def in_range(key: str) -> st.SearchStrategy:
    if key == "nesterov":
        return st.booleans()
    lo, hi = ts.HYPER_RANGES[key]
    return st.floats(lo, hi, allow_nan=False)


@st.composite
def settings(draw: st.DrawFn) -> TrainSettings:
    label = draw(st.sampled_from(list(ts.OPTIMIZERS)))
    hyper = {key: draw(in_range(key)) for key in ts.HYPER_DEFAULTS[label]}
    steps = draw(st.none() | st.integers(ts.MIN_STEPS // ts.STEPS_GRID, ts.MAX_STEPS // ts.STEPS_GRID))
    return TrainSettings(optimizer=label, hyper=hyper, task=draw(st.sampled_from(["teacher", "digits"])),
                         seeds=draw(st.integers(1, ts.MAX_SEEDS)),
                         steps=None if steps is None else steps * ts.STEPS_GRID)


@given(settings(), st.integers(5, 60).map(lambda k: k * 10))
def test_every_setting_round_trips(s: TrainSettings, default_steps: int) -> None:
    back, notices = decode(encode(s, default_steps))
    assert notices == []
    assert (back.optimizer, back.task, back.seeds) == (s.optimizer, s.task, s.seeds)
    assert dict(back.hyper) == dict(s.hyper)
    assert (back.steps or default_steps) == (s.steps or default_steps)


def test_defaults_stay_out_of_the_link() -> None:
    assert encode(TrainSettings(), 600) == {}
    assert encode(TrainSettings(steps=600), 600) == {}
    assert encode(TrainSettings(steps=300), 600) == {"steps": "300"}
    momentum = TrainSettings(optimizer="SGD + momentum", hyper=ts.HYPER_DEFAULTS["SGD + momentum"])
    assert encode(momentum, 600) == {"opt": "sgd_momentum"}
    assert set(SLUGS) == set(ts.OPTIMIZERS)


@given(st.dictionaries(st.sampled_from([*TRAIN_KEYS, "spec", "bogus"]), st.text(max_size=30)))
def test_any_text_decodes_to_valid_settings(params: dict[str, str]) -> None:
    s, notices = decode(params)
    assert s.optimizer in ts.OPTIMIZERS and s.task in ("teacher", "digits") and 1 <= s.seeds <= ts.MAX_SEEDS
    assert s.steps is None or (ts.MIN_STEPS <= s.steps <= ts.MAX_STEPS and s.steps % ts.STEPS_GRID == 0)
    assert set(s.hyper) == set(ts.HYPER_DEFAULTS[s.optimizer])
    for key, value in s.hyper.items():
        if key != "nesterov":
            lo, hi = ts.HYPER_RANGES[key]
            assert lo <= value <= hi
    assert all("\n" not in n for n in notices)
    # Each notice names a parameter of the link, once; a hyperparameter with no notice was taken as given.
    named = [n.split("'")[1] for n in notices if n.startswith("Link parameter '")]
    assert len(named) == len(set(named)) and set(named) <= set(params)
    for key in set(params) & set(HYPER_KEYS) - set(named):
        if key == "nesterov":
            assert s.hyper[key] == (params[key].strip().lower() in ("1", "true", "yes", "on"))
        else:
            assert s.hyper[key] == float(params[key])
    assert ("bogus" in params) == any(n.startswith("Unknown link parameter") for n in notices)


def test_each_rule_is_named() -> None:
    cases = {
        "opt": ({"opt": "lion"}, "must be one of sgd, sgd_momentum"),
        "beta2": ({"beta2": "1"}, "must be a number from 0 to 0.9999"),
        "alpha": ({"alpha": "0.9"}, "Adam has no alpha"),
        "nesterov": ({"opt": "sgd_momentum", "nesterov": "2"}, "must be 1 or 0"),
        "seeds": ({"seeds": "0"}, "whole number from 1 to 4"),
        "steps": ({"steps": "1e3"}, "multiple of 10 from 50 to 1000"),
        "task": ({"task": "mnist"}, "must be one of teacher, digits"),
    }
    for field, (params, rule) in cases.items():
        s, notices = decode(params)
        assert len(notices) == 1 and notices[0].startswith(f"Link parameter '{field}' ignored: "), notices
        assert rule in notices[0]
        assert s == TrainSettings(optimizer=s.optimizer, hyper=ts.HYPER_DEFAULTS[s.optimizer])
