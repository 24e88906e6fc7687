"""Export a spec as timm code: ``build_scheduler(optimizer)`` returning a ``timm.scheduler`` scheduler.

timm schedulers are stateless: ``step(epoch)`` / ``step_update(num_updates)`` set the lr for the index
they are given. Groups get ``initial_lr = LR`` and timm's own ``lr_scale`` key, so absolute floors
(``lr_min``, ``warmup_lr_init``) scale with each group. Native: ``CosineLRScheduler`` (cosine, linear or no
warmup, ``warmup_prefix=True`` so the cosine clock starts after warmup, as in the spec). Everything else
is a small ``Scheduler`` subclass over the closed form of :mod:`schedules.export.python_code`. timm does
not cycle momentum, so specs with momentum are rejected.
"""

from __future__ import annotations

from schedules.errors import SpecError
from schedules.export import torch_code
from schedules.export.literals import header, integer, num
from schedules.export.python_code import closed_form, imports
from schedules.spec import Spec

#: The snippets were run with the installed timm schedulers (tests/engine/test_export_timm.py): every preset and
#: family equals ``schedules.curve`` at every update within 1e-9 relative.
VERIFIED = True
#: Restarts given as ``cycles`` run through the closed form (the native path is the plain cosine only).
EXTENSIONS = ("schedule.cycles",)


def _native(spec: Spec) -> str | None:
    w, p = spec.warmup, spec.schedule.as_dict()
    if spec.schedule.type != "cosine" or (w.steps and w.shape != "linear"):
        return None
    try:
        d = torch_code._dur(spec, spec.main_steps, "total_steps")
        wt = torch_code._dur(spec, w.steps, "warmup.steps")
    except torch_code.NotNative:
        return None
    return (
        "CosineLRScheduler(\n"
        f"        optimizer, t_initial={integer(d)}, lr_min={num(p['min_lr'])}, warmup_t={integer(wt)},\n"
        f"        warmup_lr_init={num(w.start_lr)}, warmup_prefix=True, t_in_epochs={spec.interval == 'epoch'},\n"
        "    )"
    )


def _groups(spec: Spec) -> str:
    block = torch_code.groups_block(spec, set_initial=False)
    return block.replace(
        '        group["lr"] = LR * scale\n',
        '        group["lr"] = LR * scale\n'
        '        group["initial_lr"] = LR  # timm\'s base value; it multiplies by lr_scale itself\n'
        '        group["lr_scale"] = scale\n',
    )


def render(spec: Spec) -> str:
    """Self-contained timm code defining ``build_scheduler(optimizer)``."""
    if spec.momentum is not None:
        raise SpecError("momentum", "is not scheduled by timm (its schedulers set one field); export to torch "
                        "or drop momentum")
    per_epoch = spec.interval == "epoch"
    native = _native(spec)
    used: set[str] = set()
    if native:
        consts = f"LR = {num(spec.lr)}  # peak learning rate\n"
        imp = "from timm.scheduler import CosineLRScheduler\n"
        expr = native
        path = "# Path: native timm scheduler, CosineLRScheduler (warmup_prefix=True).\n"
        extra = ""
    else:
        consts, used = closed_form(spec)
        imp = "from timm.scheduler.scheduler import Scheduler\n"
        expr = f"SpecScheduler(optimizer, t_in_epochs={per_epoch})"
        path = "# Path: closed form (a timm Scheduler subclass over lr_at); no timm scheduler matches exactly.\n"
        t_arg = "lr_at(t * STEPS_PER_EPOCH)" if per_epoch else "lr_at(t)"
        extra = (
            (f"STEPS_PER_EPOCH = {integer(spec.steps_per_epoch or 1)}\n\n\n" if per_epoch else "")
            + "class SpecScheduler(Scheduler):\n"
            '    """timm scheduler whose value at t is the spec\'s lr (timm applies each group\'s lr_scale)."""\n\n'
            "    def __init__(self, optimizer, t_in_epochs: bool) -> None:\n"
            '        super().__init__(optimizer, param_group_field="lr", t_in_epochs=t_in_epochs)\n\n'
            "    def _get_lr(self, t: int) -> list:\n"
            f"        return [{t_arg}] * len(self.optimizer.param_groups)\n\n\n"
        )
    first = "scheduler.step(0)" if per_epoch else "scheduler.step_update(0)"
    build = (
        "def build_scheduler(optimizer):\n"
        '    """Set the groups\' lrs from the spec and return the scheduler, already at t = 0."""\n'
        "    set_group_lrs(optimizer)\n"
        f"    scheduler = {expr}\n"
        f"    {first}\n"
        "    return scheduler\n"
    )
    if per_epoch:
        how = "# Step it once per epoch: call scheduler.step(epoch + 1) at the end of each epoch (0-based epoch)."
    else:
        how = ("# Step it once per optimizer update: after update k (0-based), call "
               "scheduler.step_update(num_updates=k + 1).")
    return (
        header(spec, "timm") + path + how + "\n\n"
        + imports(used) + ("\n" if used else "") + imp + "\n" + consts + "\n\n" + _groups(spec) + "\n\n"
        + extra + build
        + "\n\n# Usage:\n#     scheduler = build_scheduler(optimizer)\n" + how + "\n"
    )
