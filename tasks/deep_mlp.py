"""A deep ReLU MLP with hand-written backprop, its parameters held in one flat float32 or float64 vector.

Model: ``h_0 = x``, ``h_{l+1} = relu(h_l W_l + b_l)`` for the hidden layers, ``logits = h_L W_L + b_L``,
mean softmax cross-entropy. He init (``W_l ~ N(0, 2 / fan_in)``, ``b_l = 0``), no normalization: the kind of
network that an adaptive optimizer can wreck in its first steps at a high lr.

Every layer's ``W`` and ``b`` are views into :attr:`DeepMLP.theta` (layer by layer, input side first), and
their gradients views into :attr:`DeepMLP.grad`, so an optimizer can update a whole run of layers (a param
group) as one array, and per-layer norms are dot products of contiguous slices.

``dtype`` is float64 (what the parity tests compare with torch autograd) or float32 (torch's default, what the
playground trains in: its matrix products and element-wise passes cost about half). The init is drawn in
float64 and rounded, so both dtypes start from the same network. Activations and backward scratch arrays are
allocated once per batch size and reused: a training step allocates nothing the size of a layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

#: The playground's network: 64 inputs, 7 hidden layers of 128, 10 classes.
DEFAULT_SIZES = (64, 128, 128, 128, 128, 128, 128, 128, 10)
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _Buffers:
    """Per batch size: each hidden layer's activations and ReLU mask, the logits, and each layer's gradient
    with respect to its output (``dz``)."""

    def __init__(self, sizes: tuple[int, ...], rows: int, dtype: np.dtype) -> None:
        self.hidden = [np.empty((rows, s), dtype) for s in sizes[1:-1]]
        self.masks = [np.empty((rows, s), bool) for s in sizes[1:-1]]
        self.logits = np.empty((rows, sizes[-1]), dtype)
        self.dz = [np.empty((rows, s), dtype) for s in sizes[1:]]


class DeepMLP:
    """``sizes[0] -> sizes[1] (ReLU) -> ... -> sizes[-1]``, softmax cross-entropy."""

    def __init__(self, sizes: Sequence[int] = DEFAULT_SIZES, seed: int = 0, dtype: DTypeLike = np.float64) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: must be float32 or float64 (got {self.dtype})")
        self.sizes = tuple(int(s) for s in sizes)
        bounds = [0]
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            bounds.append(bounds[-1] + fan_in * fan_out + fan_out)
        #: Start of each layer's slice in ``theta`` (and the end of the last), for per-layer norms.
        self.bounds = np.array(bounds, dtype=np.int64)
        self.theta = np.zeros(bounds[-1], self.dtype)
        self.grad = np.zeros(bounds[-1], self.dtype)
        self.weights, self.biases = self._views(self.theta)
        self.grad_weights, self.grad_biases = self._views(self.grad)
        # Transposed views, taken once: the backward pass multiplies by every W^T each step.
        self._weights_t = [w.T for w in self.weights]
        rng = np.random.default_rng(seed)
        # He init: keeps the ReLU activations at unit scale through the depth.
        for w in self.weights:
            w[...] = rng.normal(0.0, np.sqrt(2.0 / w.shape[0]), w.shape)
        self._train: dict[int, _Buffers] = {}
        self._eval: dict[int, _Buffers] = {}
        self._last: _Buffers | None = None

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

    def _buffers(self, pool: dict[int, _Buffers], rows: int) -> _Buffers:
        if rows not in pool:
            if len(pool) >= 4:  # a caller cycling through batch sizes: keep memory bounded
                pool.clear()
            pool[rows] = _Buffers(self.sizes, rows, self.dtype)
        return pool[rows]

    def layer_slice(self, first: int, last: int) -> np.ndarray:
        """The view of ``theta`` holding layers ``first .. last - 1`` (a contiguous param group)."""
        return self.theta[self.bounds[first] : self.bounds[last]]

    def _forward(self, x: np.ndarray, buf: _Buffers) -> np.ndarray:
        """Forward pass into ``buf``: fills its hidden activations and returns its logits."""
        h = x
        for w, b, out in zip(self.weights[:-1], self.biases[:-1], buf.hidden, strict=True):
            np.matmul(h, w, out=out)
            out += b
            np.maximum(out, 0.0, out=out)
            h = out
        np.matmul(h, self.weights[-1], out=buf.logits)
        buf.logits += self.biases[-1]
        return buf.logits

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The logits of ``x`` (a new array)."""
        x = np.asarray(x, self.dtype)
        return self._forward(x, self._buffers(self._eval, x.shape[0])).copy()

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of the batch; its gradient w.r.t. every parameter is written into :attr:`grad`.

        Backward: ``dz_L = (softmax − onehot(y)) / n``; for each layer ``∂W_l = h_lᵀ dz_l``, ``∂b_l = Σ_rows dz_l``,
        ``dz_{l−1} = (dz_l W_lᵀ) ⊙ [h_l > 0]`` (torch's ReLU gradient: 0 at 0).
        """
        x = np.asarray(x, self.dtype)
        n = x.shape[0]
        buf = self._buffers(self._train, n)
        logits = self._forward(x, buf)
        rows = np.arange(n)
        log_prob = _log_softmax(logits)
        loss = float(-log_prob[rows, y].mean())
        d = buf.dz[-1]
        np.exp(log_prob, out=d)
        d[rows, y] -= 1.0
        d /= n
        for layer in range(self.n_layers - 1, -1, -1):
            h_in = buf.hidden[layer - 1] if layer else x
            np.matmul(h_in.T, d, out=self.grad_weights[layer])
            np.add.reduce(d, axis=0, out=self.grad_biases[layer])
            if layer:
                below = buf.dz[layer - 1]
                np.matmul(d, self._weights_t[layer], out=below)
                mask = buf.masks[layer - 1]
                np.greater(h_in, 0.0, out=mask)
                np.multiply(below, mask, out=below)
                d = below
        self._last = buf
        return loss

    def dead_fraction(self) -> float:
        """Fraction of hidden units that output 0 for every example of the last batch (dead ReLUs)."""
        if self._last is None:
            return float("nan")
        masks = self._last.masks
        alive = sum(int(m.any(axis=0).sum()) for m in masks)
        return 1.0 - alive / sum(m.shape[1] for m in masks)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on ``(x, y)`` (no gradient)."""
        x = np.asarray(x, self.dtype)
        logits = self._forward(x, self._buffers(self._eval, x.shape[0]))
        accuracy = float((logits.argmax(axis=1) == y).mean())
        log_prob = _log_softmax(logits)
        loss = float(-log_prob[np.arange(x.shape[0]), y].mean())
        return loss, accuracy


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """``logits − logsumexp(logits)`` per row, in place. The max is subtracted first: exact, and finite for any
    finite logits."""
    logits -= logits.max(axis=1, keepdims=True)
    logits -= np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return logits
