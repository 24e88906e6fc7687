"""Reproduce the schedule comparisons the two loss-law papers report, with the published parameters.

    python scripts/laws_published.py CSV_DIR [OPT_DIR]

``CSV_DIR`` holds ``csv_25/``, ``csv_100/``, ``csv_400/`` of the multi-power-law authors' runs
(github.com/thu-yao-01-luo/MultiPowerLaw, ``loss_curve_repo/``); ``OPT_DIR`` (optional) holds their optimised
schedules ``25.npy``, ``100.npy``, ``400.npy`` (their ``optimized_schedules/``). Neither is part of the project.

Prints, per model size, at the authors' budget (24,000 updates, 2,160-update warmup to 3e-4):

1. the final loss each of their runs logged (constant, cosine to 3e-5, WSD with 4,000 geometric or linear decay
   updates to 3e-5) beside what the published parameters predict, and the gaps between them;
2. their optimised schedule (found by minimising the law, ``src/optimization.py``): its predicted final loss
   in the form their optimiser uses (the paper's: warmup area ``S_W = peak * W / 2``, no warmup terms in the
   loss drop), which reproduces the "Final Loss" of their ``logs/<size>.log``, and in the form their evaluation
   uses (the studio's); and the best WSD schedule :func:`schedules.laws.optimize` finds;
3. the annealing law (Tissue et al.; no published parameter set) fitted on the 400M cosine run, and the
   comparisons its paper draws from it: cosine's ``min_lr``, WSD's decay fraction at two budgets, the warmup.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from schedules import curve, load_spec
from schedules.laws import PRESETS, fit, optimize, predict
from schedules.laws.predict import evaluate

# Reused from the multi-power-law check: each run's spec and CSV reader.
from scripts.laws_check import read, spec_of

PEAK, WARMUP, BUDGET = 3e-4, 2160, 24_000
RUNS = ("constant_24000", "cosine_24000", "wsd_20000_24000", "wsdld_20000_24000")
#: The "Final Loss" of the authors' schedule optimisation, logs/<size>.log (the paper's form of the law).
AUTHORS_OPT_FINAL = {"25": 3.1496773780559524, "100": 2.794136776132377, "400": 2.533218602559499}


def paper_form_final(eta_after_warmup: np.ndarray, p: dict[str, float], peak: float = PEAK, warmup: int = WARMUP):
    """The final loss as the authors' optimiser computes it: MultiPowerLaw src/optimization.py lines 47-56
    (``warmup_bias = 0.5 * peak_lr * warmup``; ``delta`` the lr decrements after warmup, the first one from the
    peak; ``LD = sum(delta * (1 - (1 + C * eta**-gamma * S_k)**-beta))``; ``L0 + A * S1**-alpha - B * LD``)."""
    eta = np.asarray(eta_after_warmup, dtype=np.float64)
    delta = -np.diff(np.concatenate([[peak], eta]))
    lr_sum = np.concatenate([[0.0], np.cumsum(eta)]) + 0.5 * peak * warmup
    after = lr_sum[-1] - lr_sum[:-1]
    drop = np.sum(delta * (1.0 - (1.0 + p["C"] * eta ** -p["gamma"] * after) ** -p["beta"]))
    return float(p["L0"] + p["A"] * lr_sum[-1] ** -p["alpha"] - p["B"] * drop)


def final(spec, law: str, params) -> float:
    return predict(spec, law, params, at=[spec.total_steps - 1]).final


def published(root: Path, opt_dir: Path | None) -> None:
    print("## Multi-power law, published parameters, 24,000 updates\n")
    print("| model | run | logged final | predicted final | error |\n|---|---|---|---|---|")
    gaps = []
    for size in ("25", "100", "400"):
        folder, preset = root / f"csv_{size}", f"mpl-{size}m"
        logged, pred = {}, {}
        for name in RUNS:
            s, _, y = read(folder, name)
            logged[name] = float(y[-1])
            pred[name] = predict(spec_of(name), "mpl", preset, at=[s[-1]]).final
            print(f"| {size}M | {name} | {logged[name]:.4f} | {pred[name]:.4f} | {pred[name] - logged[name]:+.4f} |")
        gaps.append((size, logged, pred))
    print("\n| model | gap | logged | predicted |\n|---|---|---|---|")
    for size, logged, pred in gaps:
        for label, a, b in (
            ("constant - cosine", "constant_24000", "cosine_24000"),
            ("cosine - WSD (geometric)", "cosine_24000", "wsd_20000_24000"),
            ("WSD linear - WSD geometric", "wsdld_20000_24000", "wsd_20000_24000"),
        ):
            print(f"| {size}M | {label} | {logged[a] - logged[b]:+.4f} | {pred[a] - pred[b]:+.4f} |")

    print("\n## The optimised schedule (predicted final loss)\n")
    print(
        "| model | authors' log (paper form) | their schedule, paper form | their schedule, studio form "
        "| best WSD (studio form) | its paper form | WSD found | cosine | WSD 4,000 to 3e-5 |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for size in ("25", "100", "400"):
        preset = f"mpl-{size}m"
        p = PRESETS[preset].params
        sug = optimize("mpl", preset, BUDGET, PEAK, "wsd", warmup_steps=WARMUP, min_lr=0.0)
        ours_paper = paper_form_final(curve(sug.spec)[WARMUP:], p)
        theirs_paper = theirs_studio = float("nan")
        if opt_dir is not None:
            opt = np.load(opt_dir / f"{size}.npy")
            theirs_paper = paper_form_final(opt, p)
            eta = np.concatenate([curve(spec_of("cosine_24000"))[:WARMUP], opt])
            theirs_studio = float(evaluate("mpl", eta, np.array([BUDGET - 1]), p, WARMUP)[0][0])
        sched = dict(sug.spec.schedule.params)
        print(
            f"| {size}M | {AUTHORS_OPT_FINAL[size]:.4f} | {theirs_paper:.4f} | {theirs_studio:.4f} | {sug.final:.4f} "
            f"| {ours_paper:.4f} | {sched['shape']}, {sched['decay_steps']} decay updates to 0 "
            f"| {final(spec_of('cosine_24000'), 'mpl', preset):.4f} "
            f"| {final(spec_of('wsd_20000_24000'), 'mpl', preset):.4f} |"
        )

    print("\n## Annealing law fitted on the 400M cosine run (all but the last 5 % of its points)\n")
    s, lrs, y = read(root / "csv_400", "cosine_24000")
    f = fit(s, lrs, y, "annealing", holdout=0.05, lr_curve=spec_of("cosine_24000"))
    print("params: " + ", ".join(f"{k} {v:.6g}" for k, v in f.params.items()))
    print("\n| budget | comparison | predicted final loss |\n|---|---|---|")
    for total in (24_000, 72_000):
        base = {"total_steps": total, "lr": PEAK, "warmup": {"steps": WARMUP}}
        for m in (0.0, 3e-5, 1.5e-4):
            spec = load_spec({**base, "schedule": {"type": "cosine", "min_lr": m}})
            print(f"| {total:,} | cosine to {m:g} | {final(spec, 'annealing', f.params):.4f} |")
        for frac in (0.05, 0.1, 0.2, 0.3, 0.5):
            sched = {"type": "wsd", "decay_steps": int(frac * (total - WARMUP)), "shape": "linear", "min_lr": 0.0}
            spec = load_spec({**base, "schedule": sched})
            print(f"| {total:,} | WSD, linear decay over {frac:.0%} to 0 | {final(spec, 'annealing', f.params):.4f} |")
        sug = optimize("annealing", f.params, total, PEAK, "wsd", warmup_steps=WARMUP, min_lr=0.0)
        sched = dict(sug.spec.schedule.params)
        print(
            f"| {total:,} | best WSD: {sched['shape']} decay over "
            f"{sched['decay_steps'] / (total - WARMUP):.0%} | {sug.final:.4f} |"
        )
        for w in (500, 2160, 5000):
            spec = load_spec({**base, "warmup": {"steps": w}, "schedule": {"type": "cosine", "min_lr": 3e-5}})
            print(f"| {total:,} | warmup {w:,}, cosine to 3e-5 | {final(spec, 'annealing', f.params):.4f} |")


def main() -> None:
    root = Path(sys.argv[1])
    published(root, Path(sys.argv[2]) if len(sys.argv) > 2 else None)


if __name__ == "__main__":
    main()
