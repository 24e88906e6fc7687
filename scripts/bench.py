"""`make bench`: the engine's speed as ratios measured side by side in one run.

Rows: ``curve()`` for warmup + cosine at 1M and 10M steps and for every family at 1M; optax's jit-compiled
schedule (warm call) on the same schedule; bare ``np.cos`` over the same length (the floor); torch's
scheduler stepped in a Python loop, extrapolated from 100k steps. Then the loss laws (``schedules.laws``):
predicted curves against the lr curve they are built on and against the naive double sum, fits and the
optimiser. Then the app's figures, if its bench exists.
Times are the best of several repeats; a ratio below 1 means the engine is faster.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

import schedules
from schedules import FAMILIES, curve, load_spec

PEAK, FLOOR = 3e-4, 3e-5
# The package re-exports the function `curve`, which hides the module of the same name.
curve_module = importlib.import_module("schedules.curve")


def best_of(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def warmup_cosine(n: int):
    return load_spec({"total_steps": n, "lr": PEAK, "warmup": {"steps": n // 100},
                      "schedule": {"type": "cosine", "min_lr": FLOOR}})


def optax_time(n: int, repeats: int) -> float:
    import jax
    import jax.numpy as jnp
    import optax

    sched = optax.warmup_cosine_decay_schedule(0.0, PEAK, n // 100, n, FLOOR)
    fn = jax.jit(lambda c: sched(c))
    steps = jnp.arange(n)
    return best_of(lambda: fn(steps).block_until_ready(), repeats)


def torch_loop_time(n: int) -> float:
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=PEAK)
    w = n // 100
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1e-3, total_iters=w)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n - w, eta_min=FLOOR)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[w])
    out = np.empty(n)
    start = time.perf_counter()
    for t in range(n):
        out[t] = opt.param_groups[0]["lr"]
        sched.step()
    return time.perf_counter() - start


def row(name: str, seconds: float, floor: float | None = None, note: str = "") -> None:
    ratio = f"{seconds / floor:8.2f}x" if floor else " " * 9
    print(f"| {name:<44} | {seconds * 1e3:10.2f} | {ratio} | {note}")


def engine_table() -> None:
    print("## Engine: curve() against its floors (ms, best of repeats)\n")
    print(f"| {'what':<44} | {'ms':>10} | {'ratio':>9} | target")
    print(f"|{'-' * 46}|{'-' * 12}|{'-' * 11}|-------")
    import warnings

    warnings.filterwarnings("ignore")
    for n, repeats in ((1_000_000, 15), (10_000_000, 5)):
        spec = warmup_cosine(n)
        x = np.arange(n, dtype=np.float64)
        t_cos = best_of(lambda x=x: np.cos(x), repeats)
        t_curve = best_of(lambda spec=spec: curve(spec), repeats)
        saved = curve_module.PARALLEL_FROM
        curve_module.PARALLEL_FROM = 1 << 62
        t_single = best_of(lambda spec=spec: curve(spec), repeats)
        curve_module.PARALLEL_FROM = saved
        t_optax = optax_time(n, repeats)
        label = f"{n // 1_000_000}M"
        row(f"bare np.cos, {label} (floor)", t_cos, t_cos)
        row(f"curve warmup+cosine, {label}", t_curve, t_cos, "<= 2.5x np.cos")
        row(f"curve warmup+cosine, {label}, one thread", t_single, t_cos, "(for reference)")
        row(f"optax jit warm call, {label} (float32)", t_optax, t_cos)
        print(f"|   curve / optax at {label}: {t_curve / t_optax:.2f}x (target <= 1.0x)")
    n = 1_000_000
    x = np.arange(n, dtype=np.float64)
    t_cos = best_of(lambda: np.cos(x), 15)
    print()
    print(f"| {'family at 1M (with 1% warmup)':<44} | {'ms':>10} | {'vs np.cos':>9} | target <= 3x")
    print(f"|{'-' * 46}|{'-' * 12}|{'-' * 11}|-------")
    for name in FAMILIES:
        extra = {"cosine_restarts": {"period": 10_000, "period_mult": 2}, "cyclic": {"step_size": 5000},
                 "multistep": {"milestones": [300_000, 600_000, 900_000]}, "step": {"step_size": 100_000}}
        spec = load_spec({"total_steps": n, "lr": PEAK, "warmup": {"steps": n // 100},
                          "schedule": {"type": name, **extra.get(name, {})}})
        row(name, best_of(lambda spec=spec: curve(spec), 9), t_cos)
    t_torch = torch_loop_time(100_000) * 10
    t_curve = best_of(lambda: curve(warmup_cosine(n)), 15)
    print()
    row("torch SequentialLR loop, 1M (from 100k)", t_torch)
    print(f"|   curve is {t_torch / t_curve:,.0f}x faster than stepping torch (target >= 1000x)")


def naive_mpl_time(lrs: np.ndarray, points: int) -> float:
    """The multi-power law's double sum term by term (the authors' evaluation loop) at ``points`` points."""
    from schedules.laws import PRESETS

    p = PRESETS["mpl-400m"].params
    lr_sum = np.cumsum(lrs)
    lr_gap = np.zeros(len(lrs))
    lr_gap[1:] = np.diff(lrs)
    start = time.perf_counter()
    for s in np.linspace(len(lrs) // 2, len(lrs) - 1, points).astype(np.int64):
        x = p["C"] * lrs[1 : s + 1] ** -p["gamma"] * (lr_sum[s] - lr_sum[:s])
        np.sum(lr_gap[1 : s + 1] * (1 - (1 + x) ** -p["beta"]))
    return time.perf_counter() - start


def laws_table() -> None:
    from schedules.laws import fit, optimize, predict

    print("## Loss laws: predicted curves (1,000 points), fits, optimiser (ms, best of repeats)\n")
    print(f"| {'what':<44} | {'ms':>10} | {'vs lr':>9} | target")
    print(f"|{'-' * 46}|{'-' * 12}|{'-' * 11}|-------")
    for n, repeats, target in ((250_000, 9, "<= 50 ms"), (10_000_000, 3, "<= 1000 ms")):
        spec = load_spec({"total_steps": n, "lr": PEAK, "warmup": {"steps": n // 100},
                          "schedule": {"type": "cosine", "min_lr": FLOOR}})
        t_lr = best_of(lambda spec=spec: curve(spec), repeats)
        label = f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000}M"
        row(f"curve warmup+cosine, {label} (the lr alone)", t_lr, t_lr)
        t_mpl = best_of(lambda spec=spec: predict(spec, "mpl", "mpl-400m"), repeats)
        row(f"predict mpl, {label}, bound 1e-4 nats", t_mpl, t_lr, target)
        annealing = {"L0": 2.4, "A": 0.7, "alpha": 0.45, "C": 0.5}
        row(f"predict annealing, {label}",
            best_of(lambda spec=spec, annealing=annealing: predict(spec, "annealing", annealing), repeats), t_lr,
            target)
        if n < 1_000_000:
            naive = naive_mpl_time(curve(spec), 20) * 50
            print(f"|   naive double sum at 1,000 points (from 20): {naive * 1e3:,.0f} ms, "
                  f"{naive / t_mpl:,.0f}x the fast sum")
            compared = [spec, *(spec.replace(schedule={"type": kind}) for kind in ("constant", "linear", "wsd"))]
            compared.append(spec.replace(warmup={"steps": 0}))
            row(f"predict mpl, {label}, 5 compared specs",
                best_of(lambda compared=compared: [predict(s, "mpl", "mpl-400m") for s in compared], 3), t_lr)
    log_spec = load_spec({"total_steps": 10_000, "lr": PEAK, "warmup": {"steps": 500},
                          "schedule": {"type": "cosine", "min_lr": FLOOR}})
    steps = np.arange(500, 10_000)
    truth = predict(log_spec, "mpl", "mpl-400m", at=steps).loss
    noisy = truth * (1 + 1e-3 * np.random.default_rng(0).normal(size=len(steps)))
    lrs = curve(log_spec)[steps]
    for law in ("mpl", "annealing"):
        row(f"fit {law}, 9,500-point log", best_of(lambda law=law: fit(steps, lrs, noisy, law), 2), None,
            "<= 3000 ms")
    row("optimize wsd (mpl-400m), 24,000 updates",
        best_of(lambda: optimize("mpl", "mpl-400m", 24_000, PEAK, warmup_steps=2160), 2), None)


def main() -> None:
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, schedules from {Path(schedules.__file__).parent}\n")
    engine_table()
    print()
    laws_table()
    app_bench = Path(__file__).with_name("bench_app.py")
    if app_bench.exists():
        print()
        sys.path.insert(0, str(app_bench.parent))
        import bench_app

        bench_app.main()
        print()
        import bench_links

        bench_links.main()
    print()
    import bench_train  # beside this file: scripts/ is on sys.path when it runs as a script

    bench_train.main()


if __name__ == "__main__":
    main()
