"""The annealing law's areas in O(T): the forward area S1 and the annealing area S2.

Tissue et al. (arXiv 2408.11029, sec. 3): ``L(s) = L0 + A*S1^-alpha - C*S2`` with ``S1 = sum_{i<=s} eta_i`` and
``S2 = sum_{i<=s} m_i``, ``m_i = lam*m_{i-1} + (eta_{i-1} - eta_i)``: a momentum of the lr decrements, so a
decrease keeps paying off over about ``1 / (1 - lam)`` updates. The warmup's rise is not annealing: ``m`` is 0
up to the end of warmup (the update where the lr first reaches its peak) and the recurrence starts after it.

The recurrence is solved in blocks of ``K`` updates at once: inside a block started from 0,
``m_{i0+j} = lam^j * sum_{t<=j} lam^-t * delta_{i0+t}`` (a cumulative sum, no loop), then each block adds the
previous block's last value carried forward, ``lam^(j+1) * m_{i0-1}``. ``lam^-K`` stays below 1e150, far from
overflow; the rounding error is that of a cumulative sum of the block (``K * 1e-16`` of the sum of |delta|).
"""

from __future__ import annotations

import math

import numpy as np

MAX_BLOCK = 1 << 16


def momentum(eta: np.ndarray, start: int, lam: float) -> np.ndarray:
    """``m_i`` for every update: 0 for ``i <= start``, then ``lam * m_{i-1} + (eta_{i-1} - eta_i)``."""
    n = len(eta)
    m = np.zeros(n)
    if start + 1 >= n:
        return m
    delta = eta[start:-1] - eta[start + 1 :]  # delta[j] = eta_{i-1} - eta_i for i = start + 1 + j
    size = len(delta)
    block = MAX_BLOCK if lam >= 1.0 else max(1, min(MAX_BLOCK, int(150 * math.log(10) / -math.log(lam))))
    blocks = -(-size // block)
    padded = np.zeros(blocks * block)
    padded[:size] = delta
    local = padded.reshape(blocks, block)
    j = np.arange(block, dtype=np.float64)
    up = np.power(lam, -j)
    down = np.power(lam, j)
    local = np.cumsum(local * up, axis=1) * down
    # Carry each block's last value into the next: c_b = lam^block * c_{b-1} + local[b-1, -1].
    carry = np.zeros(blocks)
    lam_block = lam**block
    last = local[:, -1]
    for b in range(1, blocks):
        carry[b] = lam_block * carry[b - 1] + last[b - 1]
    local += carry[:, None] * (down * lam)[None, :]
    m[start + 1 :] = local.ravel()[:size]
    return m


def areas(eta: np.ndarray, start: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(S1, S2) at every update: cumulative sums of the lr and of its annealing momentum."""
    return np.cumsum(eta), np.cumsum(momentum(eta, start, lam))
