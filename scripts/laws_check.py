"""Check the loss laws against the multi-power-law authors' published runs (their CSVs, step,lr,loss).

    python scripts/laws_check.py DIR    # DIR holds csv_25/, csv_100/, csv_400/ from the authors' repository

Prints, per model size: the published parameters' mean and worst relative error on the authors' test runs
(their README reports PredE 0.00110 / 0.00142 / 0.00168 and WorstE 0.00409 / 0.00583 / 0.00995); then a law
fitted with :func:`schedules.laws.fit` on one run (cosine over 24,000 updates, last 20 % held out) and used to
predict every other run; then the predicted and the logged final-loss gap between cosine and WSD at 24,000
updates. The data is not part of the project: pass its directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from schedules import load_spec
from schedules.laws import fit, predict

TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
TEST = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18")
PEAK, FLOOR, WARMUP = 3e-4, 3e-5, 2160


def spec_of(name: str):
    """The run's schedule as a spec (the authors' src/data_loader.py lines 33-46)."""
    kind = name.split("_")
    base = {"lr": PEAK, "warmup": {"steps": WARMUP}}
    if kind[0] == "constant":
        return load_spec({**base, "total_steps": int(kind[1]), "schedule": {"type": "constant"}})
    if kind[0] == "cosine":
        return load_spec({**base, "total_steps": int(kind[1]), "schedule": {"type": "cosine", "min_lr": FLOOR}})
    if kind[0] == "wsdcon":
        return load_spec(
            {
                **base,
                "total_steps": 16000,
                "schedule": {"type": "multistep", "milestones": [8000 - WARMUP], "gamma": int(kind[1]) * 1e-5 / PEAK},
            }
        )
    decay = {"type": "wsd", "decay_steps": 4000, "min_lr": FLOOR}
    if kind[0] == "wsdld":
        decay["shape"] = "linear"
    else:  # geometric from peak to floor over 4000 updates: a half-life of 4000 * log(2) / log(10)
        decay.update(shape="exponential", half_life=4000 * np.log(2) / np.log(10))
    return load_spec({**base, "total_steps": 24000, "schedule": decay})


def read(folder: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.genfromtxt(folder / f"{name}.csv", delimiter=",", skip_header=1)
    keep = data[:, 0] < 24000 if data[:, 0].max() == 24000 else slice(None)  # as src/data_loader.py line 27
    return data[keep, 0].astype(np.int64), data[keep, 1], data[keep, 2]


def errors(pred: np.ndarray, loss: np.ndarray) -> tuple[float, float]:
    rel = np.abs(pred - loss) / loss
    return float(rel.mean()), float(rel.max())


def main() -> None:
    root = Path(sys.argv[1])
    for size in ("25", "100", "400"):
        folder = root / f"csv_{size}"
        print(f"\n## {size}M\n")
        pe = [
            errors(predict(spec_of(n), "mpl", f"mpl-{size}m", at=read(folder, n)[0]).loss, read(folder, n)[2])
            for n in TEST
        ]
        print(
            f"published params on the test runs: PredE {np.mean([p[0] for p in pe]):.5f}, "
            f"WorstE {np.mean([p[1] for p in pe]):.5f}"
        )
        steps, lrs, loss = read(folder, "cosine_24000")
        for law in ("mpl", "annealing"):
            f = fit(steps, lrs, loss, law, lr_curve=spec_of("cosine_24000"))
            print(
                f"\n{law} fitted on cosine_24000 (first 80 %): held-out mean {f.heldout_error:.5f}, worst "
                f"{f.heldout_worst:.5f}, final {f.heldout_final:+.4f} nats; params "
                + ", ".join(f"{k} {v:.4g}" for k, v in f.params.items())
            )
            print("| run | mean rel. error | worst | final: predicted - logged (nats) |")
            print("|---|---|---|---|")
            for name in TRAIN + TEST:
                if name == "cosine_24000":
                    continue
                s, _, y = read(folder, name)
                p = predict(spec_of(name), law, f, at=s).loss
                mean, worst = errors(p, y)
                print(f"| {name} | {mean:.5f} | {worst:.5f} | {p[-1] - y[-1]:+.4f} |")
        cos, wsd = read(folder, "cosine_24000"), read(folder, "wsd_20000_24000")
        for label, params in ((f"published {size}M", f"mpl-{size}m"),):
            pc = predict(spec_of("cosine_24000"), "mpl", params, at=[cos[0][-1]]).final
            pw = predict(spec_of("wsd_20000_24000"), "mpl", params, at=[wsd[0][-1]]).final
            print(f"\n{label}: cosine - WSD final loss predicted {pc - pw:+.4f}, logged {cos[2][-1] - wsd[2][-1]:+.4f}")


if __name__ == "__main__":
    main()
