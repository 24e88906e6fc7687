"""The NumPy optimizers and MLP against the real thing: ``torch.optim`` stepped by ``LambdaLR`` from a spec,
and torch autograd, in float64.

Both sides train the same network from the same init on the same batches, each on its own trajectory (NumPy
grads for NumPy, autograd grads for torch), in two param groups (the input half at 0.1x the lr, as a
backbone/head split); after every one of 200 steps every parameter is compared.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from schedules import load_spec
from tasks import datasets, optimizers
from tasks.deep_mlp import DEFAULT_SIZES, DeepMLP
from tasks.train import lr_per_step

STEPS = 200
RTOL = 1e-6
SCALES = (0.1, 1.0)
#: The page's network for the defaults; the variants (every other hyperparameter) on a narrower one, to keep
#: the suite quick (the update rules do not depend on the width).
FULL = DEFAULT_SIZES
NARROW = (64, 32, 32, 32, 10)

CASES = [
    ("sgd", 0.05, {}, FULL),
    ("sgd", 0.05, {"momentum": 0.9}, FULL),
    ("sgd", 0.05, {"momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}, NARROW),
    ("sgd", 0.05, {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}, NARROW),
    ("adagrad", 0.02, {}, FULL),
    ("adagrad", 0.02, {"lr_decay": 1e-3, "initial_accumulator_value": 0.1, "weight_decay": 1e-3}, NARROW),
    ("rmsprop", 1e-3, {}, FULL),
    ("rmsprop", 1e-3, {"centered": True, "momentum": 0.5, "weight_decay": 1e-3, "alpha": 0.9}, NARROW),
    ("adam", 2e-3, {}, FULL),
    ("adam", 2e-3, {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-3, "amsgrad": True}, NARROW),
    ("adamw", 2e-3, {}, FULL),
    ("adamw", 2e-3, {"weight_decay": 0.1, "amsgrad": True}, NARROW),
]
TORCH = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
         "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One thread on both sides: on a shared 2-core machine, torch's OpenMP and OpenBLAS threads otherwise
    contend and a step takes ten times longer."""
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


def spec_for(lr: float):
    return load_spec({"total_steps": STEPS, "lr": lr, "warmup": {"steps": 20},
                      "schedule": {"type": "cosine", "min_lr": lr / 20},
                      "param_groups": [{"name": "backbone", "lr_scale": SCALES[0]}, {"name": "head"}]})


def torch_model(model: DeepMLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
            for w, b in zip(model.weights, model.biases, strict=True)]


def torch_loss(layers: list[tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = x
    for w, b in layers[:-1]:
        h = torch.relu(h @ w + b)
    w, b = layers[-1]
    return torch.nn.functional.cross_entropy(h @ w + b, y)


def batches(seed: int = 0, size: int = 64):
    data = datasets.load("teacher")
    rng = np.random.default_rng(seed)
    for _ in range(STEPS):
        idx = rng.choice(len(data.x_train), size, replace=False)
        yield data.x_train[idx], data.y_train[idx]


def max_relative_error(model: DeepMLP, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Largest ``|numpy - torch| / max|torch|`` over the elements of each parameter tensor."""
    worst = 0.0
    for (w, b), w_np, b_np in zip(layers, model.weights, model.biases, strict=True):
        for ours, theirs in ((w_np, w.detach().numpy()), (b_np, b.detach().numpy())):
            scale = max(float(np.abs(theirs).max()), 1e-12)
            worst = max(worst, float(np.abs(ours - theirs).max()) / scale)
    return worst


@pytest.mark.parametrize(("name", "lr", "hyper", "sizes"), CASES,
                         ids=[f"{n}-{i}" for i, (n, *_) in enumerate(CASES)])
def test_optimizer_matches_torch_every_param_every_step(name: str, lr: float, hyper: dict, sizes: tuple) -> None:
    spec = spec_for(lr)
    model = DeepMLP(sizes, seed=3)
    layers = torch_model(model)
    split = model.n_layers // 2  # the input half is the first param group, the rest the second
    groups = [{"params": [p for pair in layers[:split] for p in pair], "lr": lr * SCALES[0]},
              {"params": [p for pair in layers[split:] for p in pair], "lr": lr * SCALES[1]}]
    opt_t = TORCH[name](groups, **hyper)
    ratio = lr_per_step(spec, STEPS) / spec.lr
    sched = torch.optim.lr_scheduler.LambdaLR(opt_t, lambda step: float(ratio[min(step, STEPS - 1)]))
    params = [model.layer_slice(0, split), model.layer_slice(split, model.n_layers)]
    grads = [model.grad[: model.bounds[split]], model.grad[model.bounds[split] :]]
    opt = optimizers.make(name, params, **hyper)
    curve = lr_per_step(spec, STEPS)
    worst = 0.0
    for t, (x, y) in enumerate(batches()):
        model.loss_and_grad(x, y)
        opt.step(grads, [curve[t] * s for s in SCALES])
        opt_t.zero_grad()
        torch_loss(layers, torch.tensor(x), torch.tensor(y)).backward()
        lrs = [g["lr"] for g in opt_t.param_groups]
        np.testing.assert_allclose(lrs, [curve[t] * s for s in SCALES], rtol=1e-12)
        opt_t.step()
        sched.step()
        err = max_relative_error(model, layers)
        assert err <= RTOL, f"step {t}: max relative error {err:.2e}"
        worst = max(worst, err)
    # The run really moved the weights (a no-op optimizer on both sides would pass the loop above).
    assert np.abs(model.theta - DeepMLP(sizes, seed=3).theta).max() > 1e-3


def test_loss_and_gradients_match_torch_autograd() -> None:
    model = DeepMLP(seed=1)
    opt = optimizers.make("adam", [model.theta])
    for t, (x, y) in enumerate(batches(seed=5)):
        if t in (0, 1, 50):
            layers = torch_model(model)
            loss_t = torch_loss(layers, torch.tensor(x), torch.tensor(y))
            loss_t.backward()
            loss = model.loss_and_grad(x, y)
            assert loss == pytest.approx(float(loss_t.detach()), rel=1e-10, abs=0)
            for (w, b), gw, gb in zip(layers, model.grad_weights, model.grad_biases, strict=True):
                for ours, theirs in ((gw, w.grad.numpy()), (gb, b.grad.numpy())):
                    assert np.abs(ours - theirs).max() <= 1e-10 * np.abs(theirs).max()
        if t == 50:
            break
        model.loss_and_grad(x, y)
        opt.step([model.grad], 1e-3)


def test_first_steps_follow_the_documented_rules() -> None:
    """The first update of each rule, in closed form: Adam moves each weight by lr·sign(g) (up to eps),
    torch's RMSprop by lr·g/(√(1−α)|g| + eps) ≈ 10·lr·sign(g), SGD's momentum buffer starts at g."""
    g = np.array([0.3, -2.0, 1e-3])
    for name, expected in (("adam", 0.01 * np.sign(g) * np.abs(g) / (np.abs(g) + 1e-8)),
                           ("rmsprop", 0.01 * g / (np.sqrt(0.01) * np.abs(g) + 1e-8)),
                           ("sgd", 0.01 * g)):
        p = np.zeros(3)
        opt = optimizers.make(name, [p], **({"momentum": 0.9} if name == "sgd" else {}))
        opt.step([g], 0.01)
        np.testing.assert_allclose(-p, expected, rtol=1e-12)
    p = np.zeros(3)
    opt = optimizers.make("sgd", [p], momentum=0.9)
    opt.step([g], 1.0)
    opt.step([g], 1.0)
    np.testing.assert_allclose(-p, g + (0.9 * g + g), rtol=1e-12)


@pytest.mark.parametrize(("name", "hyper", "field"), [
    ("lion", {}, "optimizer"),
    ("adam", {"momentum": 0.9}, "momentum"),
    ("adam", {"betas": (0.9, 1.0)}, "betas"),
    ("sgd", {"nesterov": True}, "nesterov"),
    ("rmsprop", {"eps": -1.0}, "eps"),
    ("sgd", {"momentum": float("nan")}, "momentum"),
    ("adamw", {"amsgrad": "yes"}, "amsgrad"),
])
def test_bad_hyperparameters_are_refused_by_name(name: str, hyper: dict, field: str) -> None:
    with pytest.raises(optimizers.OptimizerError, match=f"^{field}:"):
        optimizers.make(name, [np.zeros(2)], **hyper)


@pytest.mark.parametrize("name", optimizers.NAMES)
def test_float32_params_stay_float32_and_follow_float64(name: str) -> None:
    """The playground trains in float32: no hyperparameter promotes a param, and a float32 update equals the
    float64 one to float32 rounding."""
    g = np.random.default_rng(0).normal(size=1000)
    p32, p64 = np.ones(1000, np.float32), np.ones(1000)
    hyper = {"momentum": 0.9} if name == "sgd" else {}
    o32, o64 = optimizers.make(name, [p32], **hyper), optimizers.make(name, [p64], **hyper)
    for _ in range(3):
        o32.step([g.astype(np.float32)], 0.01)
        o64.step([g], 0.01)
    assert p32.dtype == np.float32
    np.testing.assert_allclose(p32, p64, rtol=1e-6)
    with pytest.raises(optimizers.OptimizerError, match=r"^params:"):
        optimizers.make(name, [np.ones(3, np.int64)])
