"""The trainer: what warmup does to Adam on the default task (re-measured on four seeds, with margins), the
divergence of torch's RMSprop and AdaGrad without warmup, and the run's bookkeeping (same batches for every
schedule, the lr mapping, param groups, divergence stops a run, bad arguments). Runs train in float32, as the
page does; the float64 path is the one the parity tests compare with torch."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from schedules import load_spec
from tasks.train import MAX_TRAIN_STEPS, STEP_PERCENTILES, _sq_norm, lr_per_step, percentiles, run, summarize

SEEDS = range(4)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One BLAS thread, as the page trains: these matrices are small, and on a shared 2-core machine two
    threads wait on each other (measured 20x slower under load)."""
    with threadpool_limits(1):
        yield


def cosine(lr: float, warmup: int, total: int = 600, **extra: object):
    return load_spec({"total_steps": total, "lr": lr, "warmup": {"steps": warmup}, "schedule": {"type": "cosine"},
                      **extra})


@pytest.fixture(scope="module")
def adam_effect() -> list[tuple]:
    """Adam at peak 0.02 on the default task, cosine over 600 steps, with a 60-step warmup and without."""
    return [(run(cosine(0.02, 60), "adam", "teacher", seed), run(cosine(0.02, 0), "adam", "teacher", seed))
            for seed in SEEDS]


def test_warmup_prevents_adams_early_spike_and_ends_lower_on_every_seed(adam_effect) -> None:
    early_ratios = []
    for warm, cold in adam_effect:
        w, c = summarize(warm, 0.5), summarize(cold, 0.5)
        assert w.diverged_at is None and c.diverged_at is None
        # Same init, same first batch: the runs part only at the first update.
        assert warm.loss[0] == cold.loss[0]
        # The spike: measured 5.6-10.2 without warmup against 2.6-3.6 with it (ratios 1.56-3.9, the same in
        # float32 and float64: it happens before their rounding parts them).
        early_ratios.append(c.max_early_loss / w.max_early_loss)
        assert c.max_early_loss >= 1.5 * w.max_early_loss, (warm.seed, c.max_early_loss, w.max_early_loss)
        # It lasts: measured final train loss (float32) 0.18-0.45 against 0.06-0.11 (each seed at least 2.8x
        # lower; float64 runs: 0.21-0.38 against 0.06-0.12).
        assert w.final_loss <= 0.6 * c.final_loss, (warm.seed, w.final_loss, c.final_loss)
        # And generalizes worse: held-out accuracy measured 0.47-0.57 against 0.60-0.64 (gaps 0.072-0.127).
        assert w.final_accuracy >= c.final_accuracy + 0.03, (warm.seed, w.final_accuracy, c.final_accuracy)
        # The mechanism: Adam's first update moves every weight by ~lr; measured ||dθ||/||θ|| over the first
        # three updates 0.19-0.20 without warmup, 0.004 with it.
        assert c.first_updates_ratio >= 0.1 and c.first_updates_ratio >= 10 * w.first_updates_ratio
    assert np.mean(early_ratios) >= 2.0


@pytest.mark.parametrize(("optimizer", "lr"), [("rmsprop", 1e-2), ("adagrad", 0.05)])
def test_rmsprop_and_adagrad_diverge_at_once_without_warmup_and_train_with_it(optimizer: str, lr: float) -> None:
    for seed in range(2):
        cold = run(cosine(lr, 0), optimizer, "teacher", seed)
        assert cold.diverged_at is not None and cold.diverged_at <= 2
        assert np.isnan(cold.loss[cold.diverged_at + 1 :]).all()
        # 200 steps with the 60-step warmup: past the peak, no divergence, the loss below its start (measured
        # 0.72x for RMSprop seed 1, the slowest (0.69x in float64); over 600 steps RMSprop ends at 0.11-0.43,
        # AdaGrad at 0.01).
        warm = run(cosine(lr, 60, total=200), optimizer, "teacher", seed)
        assert warm.diverged_at is None
        assert summarize(warm, 0.5).final_loss < 0.8 * warm.loss[0]


def test_a_run_is_deterministic_and_records_every_metric() -> None:
    spec = cosine(0.01, 10, total=60)
    a, b = run(spec, "adamw", "digits", 3), run(spec, "adamw", "digits", 3)
    for field in ("loss", "grad_norm", "update_ratio", "test_loss", "effective_step", "dead_relu"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.update_ratio.shape == (60, 8) and np.isfinite(a.update_ratio).all()
    assert a.eval_steps[0] == 0 and a.eval_steps[-1] == 60 and np.isfinite(a.test_accuracy).all()
    assert a.effective_step is not None and (np.diff(a.effective_step[1:], axis=1) >= 0).all()
    assert ((a.dead_relu >= 0) & (a.dead_relu <= 1)).all()
    np.testing.assert_array_equal(a.lr, lr_per_step(spec, 60))
    assert run(spec, "sgd", "digits", 3, momentum=0.9).effective_step is None


def test_float32_training_follows_float64_and_is_the_default() -> None:
    spec = cosine(0.02, 60)
    single, double = run(spec, "adam", "teacher", 0, steps=50), run(spec, "adam", "teacher", 0, steps=50,
                                                                       dtype=np.float64)
    assert (single.dtype, double.dtype) == ("float32", "float64")
    # Measured: 2.5e-7 relative at most over these 50 steps (float32 rounds at 6e-8).
    np.testing.assert_allclose(single.loss, double.loss, rtol=1e-5)
    np.testing.assert_allclose(single.update_ratio[1:], double.update_ratio[1:], rtol=1e-4)
    np.testing.assert_allclose(single.grad_norm, double.grad_norm, rtol=1e-4)
    assert not np.array_equal(single.loss, double.loss)


def test_squared_norms_survive_float32_overflow() -> None:
    # 4 x (1e20)^2 overflows a float32 sum (max 3.4e38): the norm is redone in float64. (run() computes its
    # norms under np.errstate(over="ignore"), as here.)
    with np.errstate(over="ignore"):
        assert _sq_norm(np.full(4, 1e20, np.float32)) == pytest.approx(4e40, rel=1e-6)
    assert _sq_norm(np.array([3.0, 4.0], np.float32)) == 25.0


def test_percentiles_equal_numpys() -> None:
    rng = np.random.default_rng(0)
    for values in (rng.lognormal(size=108_682).astype(np.float32), rng.normal(size=7), np.array([2.0])):
        np.testing.assert_array_equal(percentiles(values, STEP_PERCENTILES),
                                      np.percentile(values, STEP_PERCENTILES))
    assert np.isnan(percentiles(np.array([1.0, np.nan, 2.0]), (50.0,))).all()


def test_long_schedules_are_compressed_onto_the_trained_steps() -> None:
    spec = cosine(1e-3, 2000, total=250_000)
    lr = lr_per_step(spec, 500)
    assert lr.size == 500 and lr[0] == 0.0
    # Warmup keeps its share of the run: 2000/250000 of 500 steps is 4 steps.
    assert np.argmax(lr) == 4


def test_param_groups_scale_the_lr_of_their_layers() -> None:
    spec = cosine(1e-3, 0, total=20, param_groups=[{"name": "backbone", "lr_scale": 0.01}, {"name": "head"}])
    r = run(spec, "adam", "teacher", 0)
    assert [g[0] for g in r.groups] == ["backbone", "head"] and r.groups[0][2:] == (0, 4)
    # Adam moves each weight by about its lr: the backbone's layers about 100x less than the head's.
    backbone, head = r.update_ratio[:, :4].mean(), r.update_ratio[:, 4:].mean()
    assert backbone < head / 20


def test_bad_arguments_are_refused_by_name() -> None:
    spec = cosine(1e-3, 0, total=20)
    with pytest.raises(ValueError, match=r"^steps:"):
        run(spec, steps=MAX_TRAIN_STEPS + 1)
    with pytest.raises(ValueError, match=r"^task:"):
        run(spec, task="imagenet")
    with pytest.raises(ValueError, match=r"^optimizer:"):
        run(spec, optimizer="lion")
    with pytest.raises(ValueError, match=r"^weight_decay:"):
        run(spec, optimizer="adam", weight_decay=-1.0)
