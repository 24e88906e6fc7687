"""A deep ReLU MLP with hand-written backprop, its parameters held in one flat float64 vector.

Model: ``h_0 = x``, ``h_{l+1} = relu(h_l W_l + b_l)`` for the hidden layers, ``logits = h_L W_L + b_L``,
mean softmax cross-entropy. He init (``W_l ~ N(0, 2 / fan_in)``, ``b_l = 0``), no normalization: the kind of
network that an adaptive optimizer can wreck in its first steps at a high lr.

Every layer's ``W`` and ``b`` are views into :attr:`DeepMLP.theta` (layer by layer, input side first), and
their gradients views into :attr:`DeepMLP.grad`, so an optimizer can update a whole run of layers (a param
group) as one array, and per-layer norms are dot products of contiguous slices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The playground's network: 64 inputs, 7 hidden layers of 128, 10 classes.
DEFAULT_SIZES = (64, 128, 128, 128, 128, 128, 128, 128, 10)


class DeepMLP:
    """``sizes[0] -> sizes[1] (ReLU) -> ... -> sizes[-1]``, softmax cross-entropy."""

    def __init__(self, sizes: Sequence[int] = DEFAULT_SIZES, seed: int = 0) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        bounds = [0]
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            bounds.append(bounds[-1] + fan_in * fan_out + fan_out)
        #: Start of each layer's slice in ``theta`` (and the end of the last), for per-layer norms.
        self.bounds = np.array(bounds, dtype=np.int64)
        self.theta = np.zeros(bounds[-1])
        self.grad = np.zeros(bounds[-1])
        self.weights, self.biases = self._views(self.theta)
        self.grad_weights, self.grad_biases = self._views(self.grad)
        rng = np.random.default_rng(seed)
        # He init: keeps the ReLU activations at unit scale through the depth.
        for w in self.weights:
            w[...] = rng.normal(0.0, np.sqrt(2.0 / w.shape[0]), w.shape)
        self._z: list[np.ndarray] = []

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    def _views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        ws, bs = [], []
        for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            start = int(self.bounds[i])
            ws.append(flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out))
            bs.append(flat[start + fan_in * fan_out : start + fan_in * fan_out + fan_out])
        return ws, bs

    def layer_slice(self, first: int, last: int) -> np.ndarray:
        """The view of ``theta`` holding layers ``first .. last - 1`` (a contiguous param group)."""
        return self.theta[self.bounds[first] : self.bounds[last]]

    def logits(self, x: np.ndarray, keep: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Forward pass: the logits and the activations ``h_0 .. h_L`` (inputs of each layer)."""
        hs = [x]
        zs = []
        h = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            z = h @ w
            z += b
            zs.append(z)
            h = np.maximum(z, 0.0)
            hs.append(h)
        out = h @ self.weights[-1]
        out += self.biases[-1]
        if keep:
            self._z = zs
        return out, hs

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of the batch; its gradient w.r.t. every parameter is written into :attr:`grad`."""
        logits, hs = self.logits(x, keep=True)
        n = x.shape[0]
        rows = np.arange(n)
        log_prob = _log_softmax(logits)
        loss = float(-log_prob[rows, y].mean())
        d = np.exp(log_prob)
        d[rows, y] -= 1.0
        d /= n
        for layer in range(self.n_layers - 1, -1, -1):
            np.matmul(hs[layer].T, d, out=self.grad_weights[layer])
            np.add.reduce(d, axis=0, out=self.grad_biases[layer])
            if layer:
                d = d @ self.weights[layer].T
                d *= hs[layer] > 0.0
        return loss

    def dead_fraction(self) -> float:
        """Fraction of hidden units that output 0 for every example of the last batch (dead ReLUs)."""
        if not self._z:
            return float("nan")
        alive = sum(int((z > 0.0).any(axis=0).sum()) for z in self._z)
        return 1.0 - alive / sum(z.shape[1] for z in self._z)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on ``(x, y)`` (no gradient)."""
        logits, _ = self.logits(x)
        log_prob = _log_softmax(logits)
        loss = float(-log_prob[np.arange(x.shape[0]), y].mean())
        return loss, float((logits.argmax(axis=1) == y).mean())


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    # The max is subtracted first: exact, and finite for any finite logits.
    shifted = logits - logits.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted
