"""Every preset loads, draws a sane curve and is the schedule its name promises."""

from __future__ import annotations

import numpy as np
import pytest

from schedules import SpecError, curve, load_preset, preset_names

EXPECTED = {"bert", "gpt_cosine", "resnet50_step", "sgdr", "clr_triangular", "one_cycle", "minicpm_wsd", "noam"}


def test_the_promised_presets_exist() -> None:
    assert set(preset_names()) >= EXPECTED


@pytest.mark.parametrize("name", preset_names())
def test_preset_is_valid_and_finite(name: str) -> None:
    spec = load_preset(name)
    lr = curve(spec)
    assert spec.name and lr.shape == (spec.total_steps,)
    assert np.all(np.isfinite(lr)) and np.all(lr >= 0) and lr.max() == pytest.approx(spec.lr)


def test_bert_warms_up_over_ten_percent_then_decays_linearly() -> None:
    spec = load_preset("bert")
    lr = curve(spec)
    assert spec.warmup.steps == spec.total_steps // 10 and int(np.argmax(lr)) == spec.warmup.steps
    np.testing.assert_allclose(np.diff(lr[spec.warmup.steps :]), -spec.lr / spec.main_steps, rtol=1e-6)


def test_gpt_cosine_ends_at_ten_percent_of_peak() -> None:
    spec = load_preset("gpt_cosine")
    assert curve(spec, [10**7])[0] == pytest.approx(0.1 * spec.lr)


def test_resnet_divides_by_ten_at_epochs_30_60_80() -> None:
    spec = load_preset("resnet50_step")
    spe = spec.steps_per_epoch
    lr = curve(spec, [e * spe for e in (29, 30, 59, 60, 79, 80, 89)])
    np.testing.assert_allclose(lr, [0.1, 0.01, 0.01, 0.001, 0.001, 1e-4, 1e-4], rtol=1e-12)


def test_sgdr_restarts_after_10_20_40_epochs() -> None:
    spec = load_preset("sgdr")
    spe = spec.steps_per_epoch
    assert curve(spec, [0, 10 * spe, 30 * spe, 70 * spe]).tolist() == [spec.lr] * 4


def test_minicpm_wsd_is_flat_then_decays_in_the_last_tenth() -> None:
    spec = load_preset("minicpm_wsd")
    lr = curve(spec)
    stable_end = spec.total_steps - spec.main_steps // 10
    assert np.all(lr[spec.warmup.steps : stable_end + 1] == spec.lr)
    assert lr[-1] < 0.3 * spec.lr


def test_unknown_preset() -> None:
    with pytest.raises(SpecError, match=r"^preset: must be one of"):
        load_preset("nope")
