"""The cosine decay ``floor + (peak - floor) * 0.5 * (1 + cos(pi * k / D))`` at whole steps ``k``, fast.

NumPy's float64 ``cos`` is a scalar libm call per element (about 9 ns), which made a 10M-step cosine
slower than the frameworks it is compared with. Steps are whole numbers, so the angle splits exactly:
with ``k = j * B + i`` (``B = 4096``),

    cos(pi k / D) = cos(a_j) cos(b_i) - sin(a_j) sin(b_i),   a_j = pi j B / D,   b_i = pi i / D,

and the four factors come from two small libm tables (``B`` and ``D / B + 2`` entries). Folding the
affine map in, each value costs two multiplies, a subtract and an add, all vectorized:

    value = cb_i * (K ca_j) - sb_i * (K sa_j) + A,   K = (peak - floor) / 2,   A = floor + K.

Accuracy: the tables and products leave an absolute error of about 3e-16 in the cosine, which is tiny
against ``1 + cos`` except near the end of the half period, where it cancels. So the last 1/32 of the
steps (``1 + cos < 5e-3``), everything past ``D`` and the first row (``k < B``, so the peak is exactly
``peak``) are evaluated with libm on Hugging Face's own expression ``0.5 * (1 + cos(pi * (k / D)))`` and
are bitwise equal to it; elsewhere the value is within 1e-13 relative of it (tested). Below
``FAST_FROM`` steps the whole curve uses that exact expression.

Both entry points (:func:`cosine_at` for any steps, :func:`cosine_fill` for a contiguous range) run
the same IEEE operations in the same order on the same table entries, so a value never depends on
which other steps were asked for.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

SHIFT = 12
B = 1 << SHIFT
FAST_FROM = 1 << 15
CHUNK_ROWS = 8
# Steps with k >= D - D // 2**TAIL_SHIFT use libm: there 1 + cos < 1 + cos(31/32 pi) ~ 4.8e-3.
TAIL_SHIFT = 5


@lru_cache(maxsize=16)
def _tables(length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """cos/sin of ``pi * i / D`` for ``i < B`` and of ``pi * j * B / D`` for ``j <= D / B + 1``."""
    i = np.arange(B, dtype=np.float64)
    j = np.arange(length // B + 2, dtype=np.float64) * B
    b, a = math.pi * (i / length), math.pi * (j / length)
    tables = (np.cos(b), np.sin(b), np.cos(a), np.sin(a))
    for t in tables:
        t.flags.writeable = False
    return tables


def _exact(k: np.ndarray, length: int, peak: float, floor: float) -> np.ndarray:
    """HF ``cosine`` (``cosine_with_min_lr``) as written: ``0.5 * (1 + cos(pi * (k / D)))``, scaled."""
    x = np.minimum(k, length) / length
    x *= math.pi
    np.cos(x, out=x)
    x += 1.0
    x *= 0.5
    x *= peak - floor
    x += floor
    return x


def _tail_start(length: int) -> int:
    return length - (length >> TAIL_SHIFT)


def cosine_at(u: np.ndarray, length: int, peak: float, floor: float) -> np.ndarray:
    """The decay at whole local steps ``u`` (float64 array, any order); held at ``floor`` past ``length``."""
    if length < FAST_FROM:
        return _exact(u, length, peak, floor)
    k = np.minimum(u, length).astype(np.int64)
    cb, sb, ca, sa = _tables(length)
    half = (peak - floor) * 0.5
    j, i = k >> SHIFT, k & (B - 1)
    out = cb[i] * (half * ca)[j]
    out -= sb[i] * (half * sa)[j]
    out += floor + half
    exact = (k < B) | (k >= _tail_start(length))
    if exact.any():
        out[exact] = _exact(k[exact].astype(np.float64), length, peak, floor)
    return out


def cosine_fill(lo: int, hi: int, length: int, peak: float, floor: float, out: np.ndarray) -> None:
    """Write the decay at local steps ``lo .. hi-1`` into ``out`` (length ``hi - lo``).

    Bitwise equal to :func:`cosine_at` on the same steps, without its gathers.
    """
    if length < FAST_FROM:
        out[:] = _exact(np.arange(lo, hi, dtype=np.float64), length, peak, floor)
        return
    tail = max(lo, min(hi, _tail_start(length)))
    if tail < hi:
        out[tail - lo:] = _exact(np.arange(tail, hi, dtype=np.float64), length, peak, floor)
    head = min(max(lo, B), tail)
    if lo < head:
        out[:head - lo] = _exact(np.arange(lo, head, dtype=np.float64), length, peak, floor)
    lo, out = head, out[head - lo:]
    if lo >= tail:
        return
    cb, sb, ca, sa = _tables(length)
    half = (peak - floor) * 0.5
    offset = floor + half
    j_lo, j_hi = lo >> SHIFT, ((tail - 1) >> SHIFT) + 1
    kca, ksa = half * ca[j_lo:j_hi], half * sa[j_lo:j_hi]

    def piece(k0: int, k1: int) -> None:
        """Steps k0..k1-1 inside one table row j."""
        o = out[k0 - lo:k1 - lo]
        j, i0 = k0 >> SHIFT, k0 & (B - 1)
        i1 = i0 + k1 - k0
        np.multiply(cb[i0:i1], kca[j - j_lo], out=o)
        o -= sb[i0:i1] * ksa[j - j_lo]
        o += offset

    k = lo
    if k & (B - 1):
        end = min(tail, (k | (B - 1)) + 1)
        piece(k, end)
        k = end
    rows = (tail - k) >> SHIFT
    if rows:
        # Whole rows, a few at a time so that the scratch and the output stay in cache.
        grid = out[k - lo:k - lo + rows * B].reshape(rows, B)
        r0 = (k >> SHIFT) - j_lo
        scratch = np.empty((min(rows, CHUNK_ROWS), B))
        for r in range(0, rows, CHUNK_ROWS):
            o = grid[r:r + CHUNK_ROWS]
            s = scratch[:len(o)]
            np.multiply(cb, kca[r0 + r:r0 + r + len(o), None], out=o)
            np.multiply(sb, ksa[r0 + r:r0 + r + len(o), None], out=s)
            o -= s
            o += offset
        k += rows * B
    if k < tail:
        piece(k, tail)
