"""Short explanations shown beside the controls: what a piece of a schedule does, when to reach for it,
and the values people actually use. Keys: ``"warmup"``, every family in ``schedules.FAMILIES`` and
``"interval"``. Markdown, three labelled parts each, so the page can render them in an expander.
"""

from __future__ import annotations


def _entry(what: str, when: str, typical: str) -> str:
    return f"**What it does.** {what}\n\n**When to use it.** {when}\n\n**Typical values.** {typical}"


EXPLANATIONS: dict[str, str] = {
    "warmup": _entry(
        "Ramps the lr from `start_lr` up to where the main schedule begins, over the first `warmup.steps` "
        "updates. Early on, gradient statistics (and Adam's second-moment estimate) are still noisy, so a "
        "full-size step can throw the weights somewhere the rest of training has to climb out of.",
        "Almost always with Adam/AdamW and transformers, with large batches, and whenever the loss spikes "
        "or diverges in the first few hundred updates. Plain SGD on small convnets often does without.",
        "1-10% of training, or a fixed 500-4000 steps for language models. A linear ramp is the default; "
        "a non-zero `start_lr` (say lr / 100) keeps the very first update useful.",
    ),
    "constant": _entry(
        "Keeps the lr at its peak until the end.",
        "Baselines, short fine-tuning runs, and continued pre-training where you will decay later (pair it "
        "with warmup). Also the quickest way to check a new lr before committing to a decay.",
        "The peak lr itself: around 1e-3 to 3e-4 for Adam, 0.1 for SGD with momentum on ImageNet-style "
        "batches, 1e-5 to 5e-5 for fine-tuning a pre-trained transformer.",
    ),
    "linear": _entry(
        "Lowers the lr along a straight line from the peak to `end_lr`, reached at the last update.",
        "The standard recipe for fine-tuning BERT-style models (linear warmup, then linear decay), and any "
        "time you want a decay whose every step is equally gentle.",
        "`end_lr` 0; about 10% warmup before it.",
    ),
    "cosine": _entry(
        "Follows half a cosine from the peak down to `min_lr`: a slow start, the fastest fall mid-way and "
        "a long, gentle tail. It stays at `min_lr` after the last step, or with `periodic` rises again "
        "(torch CosineAnnealingLR past T_max).",
        "The default for pre-training language models and for many vision recipes when the run length is "
        "known in advance.",
        "`min_lr` about 10% of the peak for LLM pre-training (0 is common in vision); 1-2k warmup steps.",
    ),
    "polynomial": _entry(
        "Decays as `(1 - progress)^power` from the peak to `end_lr`. Power 1 is a straight line; "
        "larger powers drop quickly and then creep; powers below 1 hold high and fall late.",
        "When linear decays too early or too late for you, e.g. segmentation recipes (power 0.9) or "
        "BERT pre-training variants.",
        "`power` 0.9-2; `end_lr` 0 or a small floor such as 1e-7.",
    ),
    "exponential": _entry(
        "Multiplies the lr by `gamma` once every `decay_steps` updates, smoothly or (with `staircase`) "
        "in jumps. The lr halves every `decay_steps * ln 2 / -ln gamma` steps.",
        "Long runs where a constant fractional shrink suits, classic TensorFlow / Keras recipes, and "
        "reinforcement learning.",
        "`gamma` 0.9-0.99 per epoch-sized `decay_steps`, or 0.9999+ when applied every step.",
    ),
    "step": _entry(
        "Holds the lr, then multiplies it by `gamma` every `step_size` updates: a staircase.",
        "Classic convnet training with SGD, where a sudden drop gives a visible jump in accuracy.",
        "`gamma` 0.1 every 30 epochs (ImageNet), or 0.5 every few epochs on small datasets. Remember the "
        "size is in updates: epochs times steps per epoch.",
    ),
    "multistep": _entry(
        "Multiplies the lr by `gamma` at each listed milestone (counted in updates after warmup).",
        "Reproducing a published recipe with hand-picked drop points, such as ResNet's divide-by-10 at "
        "epochs 30, 60 and 80, or detection recipes that drop near the end.",
        "Two or three milestones at about 50%, 75% (and 90%) of training; `gamma` 0.1.",
    ),
    "inverse_sqrt": _entry(
        "Decays as `1 / sqrt(step)`: fast at first, then ever slower, never reaching zero. Combined with a "
        "linear warmup of the same length it is the original Transformer (Noam) schedule.",
        "Training with no fixed end date, or when reproducing Transformer / fairseq recipes.",
        "`timescale` equal to the warmup length (4000 in the original paper).",
    ),
    "cosine_restarts": _entry(
        "Runs a cosine decay over a cycle of `period` updates, then jumps back to the peak and starts again "
        "(SGDR). Cycles can grow by `period_mult` and their peaks shrink by `peak_decay`; `cycles` instead "
        "splits the run into that many equal cycles (Hugging Face's cosine_with_restarts).",
        "To get several usable snapshots from one run (snapshot ensembles), or to escape a plateau. Each "
        "cycle's low point is where a checkpoint is best taken.",
        "First `period` about 10 epochs with `period_mult` 2, or equal cycles; `peak_decay` 0.5-1.",
    ),
    "wsd": _entry(
        "Warmup, then a long stable phase at the peak, then a short decay at the end (linear, cosine, "
        "1-sqrt or a half-life exponential).",
        "LLM pre-training when the final length is not yet fixed: branch the decay off any checkpoint of "
        "the stable phase instead of planning one cosine up front.",
        "Decay over the last 10-20% of training; the 1-sqrt shape tends to do best; `min_lr` 0 or 10% "
        "of the peak.",
    ),
    "cyclic": _entry(
        "Moves the lr up and down in triangles between `min_lr` and the peak; each half cycle lasts "
        "`step_size` updates. `triangular2` halves the height of every cycle, `exp_range` shrinks it by "
        "`gamma` each step.",
        "When you do not want to tune a single lr: the cycles keep visiting both a safe and an aggressive "
        "value. Pick the bounds with an lr range test.",
        "`step_size` 2-10 epochs' worth of updates; `min_lr` a third to a quarter of the peak.",
    ),
    "one_cycle": _entry(
        "One rise from `lr / div_factor` to the peak over `pct_start` of training, then a long anneal far "
        "below the start, to `lr / div_factor / final_div_factor`. Momentum moves the opposite way.",
        "Fast training to a fixed budget with SGD or Adam (super-convergence); the fastai default.",
        "Peak from an lr range test; `pct_start` 0.25-0.3; `div_factor` 25; `final_div_factor` 1e4. "
        "It is stepped after every batch, so size it in updates.",
    ),
    "interval": _entry(
        "How often the scheduler moves. Per step, the lr changes at every optimizer update. Per epoch, "
        "it is read once at the start of each epoch and held for that whole epoch, so the curve is a "
        "staircase.",
        "Per step for transformers, warmup and one-cycle; per epoch only to reproduce recipes that call "
        "`scheduler.step()` once per epoch. Whichever you pick, durations must be in the same unit: "
        "stepping per update a schedule sized in epochs (or the reverse) is the most common silent bug.",
        "Per step, unless a recipe says otherwise; per epoch needs `steps_per_epoch`.",
    ),
}
