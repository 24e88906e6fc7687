"""Export a spec as Hugging Face transformers code: ``build_scheduler(optimizer)`` via ``get_scheduler``.

transformers' schedulers are LambdaLRs stepped per update whose warmup rises linearly from 0 (WSD: from
``min_lr_ratio``). Native names used when they match the spec exactly: ``constant`` /
``constant_with_warmup``, ``linear`` (end_lr 0), ``cosine`` / ``cosine_with_min_lr`` (``min_lr_rate`` is a
ratio, so scaled param groups keep their floors), ``polynomial`` (it divides by ``optimizer.defaults["lr"]``,
which the snippet sets to the spec's lr), ``inverse_sqrt``, ``warmup_stable_decay`` (linear / cosine /
1-sqrt decay) and ``cosine_with_restarts`` (restarts given as ``cycles``, floor 0). A warmup as long as the
run or longer is passed as it is: HF's schedules warm up through every step before ``num_warmup_steps``.
Anything else (per-epoch stepping, other warmups, step-style families, cyclic, one-cycle, restarts given as
a period, an explicit ``main_steps``) falls back to the PyTorch export, which Trainer accepts as
``optimizers=(optimizer, scheduler)``.
"""

from __future__ import annotations

from schedules.export import torch_code
from schedules.export.literals import header, integer, num
from schedules.families import wsd_decay_steps
from schedules.spec import Spec

#: The PyTorch export's: a spec transformers cannot run natively falls back to it.
EXTENSIONS = torch_code.EXTENSIONS


def _hf_plan(spec: Spec) -> tuple[str, dict[str, str]] | None:
    """(scheduler name, extra kwargs as literals) or None when transformers has no exact match."""
    if spec.interval != "step" or {"main_steps", "schedule.periodic"} & set(spec.extensions):
        # HF's schedules decay over num_training_steps - num_warmup_steps, after the warmup.
        return None
    w, kind, p = spec.warmup, spec.schedule.type, spec.schedule.as_dict()
    hf_warmup = w.steps == 0 or (w.shape == "linear" and w.start_lr == 0.0)
    if kind == "wsd":
        if p["shape"] == "exponential":
            return None
        if w.steps and not (w.shape == "linear" and w.start_lr == p["min_lr"]):
            return None
        decay = wsd_decay_steps(spec.ctx())
        shape = {"linear": "linear", "cosine": "cosine", "sqrt": "1-sqrt"}[p["shape"]]
        return "warmup_stable_decay", {
            "num_decay_steps": integer(decay), "num_stable_steps": integer(spec.main_steps - decay),
            "warmup_type": "'linear'", "decay_type": repr(shape), "min_lr_ratio": num(p["min_lr"] / spec.lr),
        }
    if not hf_warmup:
        return None
    if kind == "constant":
        return ("constant_with_warmup" if w.steps else "constant"), {}
    if kind == "linear" and p["end_lr"] == 0.0:
        return "linear", {}
    if kind == "cosine":
        if p["min_lr"] == 0.0:
            return "cosine", {}
        return "cosine_with_min_lr", {"min_lr_rate": num(p["min_lr"] / spec.lr)}
    if kind == "polynomial" and p["end_lr"] < spec.lr:
        return "polynomial", {"lr_end": num(p["end_lr"]), "power": num(p["power"])}
    if kind == "inverse_sqrt":
        return "inverse_sqrt", {"timescale": integer(p["timescale"])}
    if kind == "cosine_restarts" and p["cycles"] is not None and p["min_lr"] == 0.0:
        return "cosine_with_restarts", {"num_cycles": num(p["cycles"])}
    return None


def render(spec: Spec) -> str:
    """Self-contained transformers code defining ``build_scheduler(optimizer)``."""
    hf = _hf_plan(spec)
    if hf is None:
        # Trainer steps the scheduler after every update, so a per-epoch spec must hold its lr itself.
        text = torch_code.render(spec, per_update=True)
        return text.replace(
            "# Path: ", "# transformers has no scheduler for this spec; this is its PyTorch export (pass it to "
            "Trainer as\n# optimizers=(optimizer, scheduler)).\n# Path: ", 1,
        )
    name, kwargs = hf
    groups = torch_code.groups_block(spec)
    extra = ""
    if name == "polynomial":
        extra = '    optimizer.defaults["lr"] = LR  # polynomial divides by the optimizer\'s default lr\n'
    kw = ""
    if kwargs:
        inner = "".join(f'            "{k}": {v},\n' for k, v in kwargs.items())
        kw = f"        scheduler_specific_kwargs={{\n{inner}        }},\n"
    build = (
        "def build_scheduler(optimizer):\n"
        '    """Set the groups\' lrs from the spec and return the scheduler."""\n'
        "    set_group_lrs(optimizer)\n" + extra +
        "    return get_scheduler(\n"
        f"        {name!r},\n"
        "        optimizer,\n"
        f"        num_warmup_steps={integer(spec.warmup.steps)},\n"
        f"        num_training_steps={integer(spec.total_steps)},\n" + kw +
        "    )\n"
    )
    usage = (
        "\n\n# Usage with Trainer: Trainer(..., optimizers=(optimizer, build_scheduler(optimizer))),\n"
        "# or in your own loop call scheduler.step() after every optimizer.step().\n"
    )
    return (
        header(spec, "Hugging Face transformers")
        + f"# Path: native transformers scheduler, get_scheduler({name!r}).\n"
        + torch_code.stepping(spec) + "\n\n"
        + "from transformers import get_scheduler\n\n"
        + f"LR = {num(spec.lr)}  # peak learning rate\n\n\n"
        + groups + "\n\n" + build + usage
    )
