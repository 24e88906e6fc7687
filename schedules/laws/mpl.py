"""The multi-power law's loss-drop sum, evaluated in O(points x log T) with a certified error bound.

The loss drop at update ``s`` is the sum over every earlier lr change (Luo et al. 2025, eq. for LD(t); their
``src/evaluation.py`` line 42 evaluates it term by term)::

    LD(s) = sum_{k=1..s} d_k * G(eta_k^(-gamma) * m_k(s)),   d_k = eta_k - eta_{k-1},
    m_k(s) = eta_k + ... + eta_s,   G(x) = 1 - (1 + C x)^(-beta)

which costs O(s) per point, O(T * points) per curve. Here the k axis is cut into dyadic blocks (a block of
``2^l`` consecutive updates). For a block b, with its lr range ``[eta_lo, eta_hi]`` and its range of
``m_k(s)``, every ``x_k`` lies in ``[x_lo, x_hi] = [eta_hi^-gamma * m_min, eta_lo^-gamma * m_max]`` (gamma >= 0),
and G is increasing, so the block's terms are replaced by ``D_b * (G(x_lo) + G(x_hi)) / 2`` with
``D_b = sum d_k = eta_last - eta_before`` (the sum telescopes). The error of that is at most

    err_b = |D|_b * (G(x_hi) - G(x_lo)) / 2,   |D|_b = sum over the block of |d_k|

(each term's G lies within half the range of the midpoint), and the reported bound of a point is the sum of
its blocks' ``err_b``: a rigorous bound on ``|fast - exact|`` for any schedule, valid whatever the block
choice. A block is split in two while ``err_b`` exceeds a per-block threshold; blocks where the lr does not
change (``|D|_b = 0``) are exact at once, which is why constant and step schedules cost next to nothing.
Blocks of ``2^BASE`` updates that still fail are summed term by term (exact). The block aggregates come
from prefix sums of the lr and of ``|d|`` and from a min/max pyramid of the lr, all O(T) to build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Blocks of 2^BASE updates are the smallest: below that, terms are summed one by one.
BASE = 4


@dataclass(frozen=True)
class Prefix:
    """What the blocks need from one lr array, built once per schedule in O(T)."""

    eta: np.ndarray  # lr of update k
    pz: np.ndarray  # pz[k] = eta[0] + ... + eta[k-1] (pz[0] = 0): P_{k-1} = pz[k]
    absz: np.ndarray  # absz[k] = |d_0| + ... + |d_{k-1}|
    lo: tuple[np.ndarray, ...]  # lo[j]: min lr of each block of 2^(BASE + j) updates
    hi: tuple[np.ndarray, ...]

    @property
    def size(self) -> int:
        return len(self.eta)

    @property
    def top(self) -> int:
        return BASE + len(self.lo) - 1


def prefix(eta: np.ndarray) -> Prefix:
    """Prefix sums and the lr min/max pyramid of ``eta`` (float64, >= 0, at least one update)."""
    n = len(eta)
    pz = np.zeros(n + 1)
    np.cumsum(eta, out=pz[1:])
    absz = np.zeros(n + 1)
    if n > 1:
        np.cumsum(np.abs(np.diff(eta)), out=absz[2:])
    # k = 0 has d_0 = 0 (no change before the first update), so its lr may be anything in the blocks' ranges:
    # taking eta[1] keeps a zero first lr (a warmup from 0) from widening the first block's range to infinity.
    width = 1 << BASE
    padded = -(-n // width) * width
    lo = np.full(padded, np.inf)
    hi = np.full(padded, -np.inf)
    lo[:n] = eta
    hi[:n] = eta
    if n > 1:
        lo[0] = hi[0] = eta[1]
    los = [lo.reshape(-1, width).min(axis=1)]
    his = [hi.reshape(-1, width).max(axis=1)]
    while len(los[-1]) > 1:
        a, b = los[-1], his[-1]
        if len(a) % 2:
            a, b = np.append(a, np.inf), np.append(b, -np.inf)
        los.append(np.minimum(a[0::2], a[1::2]))
        his.append(np.maximum(b[0::2], b[1::2]))
    return Prefix(eta=eta, pz=pz, absz=absz, lo=tuple(los), hi=tuple(his))


def g(x: np.ndarray, c: float, beta: float) -> np.ndarray:
    """``G(x) = 1 - (1 + C x)^(-beta)``, accurate for small x; G(inf) = 1."""
    return -np.expm1(-beta * np.log1p(c * x))


def _x(eta: np.ndarray, m: np.ndarray, gamma: float) -> np.ndarray:
    """``eta^-gamma * m``, with the limits of a zero lr: 0 when m = 0 (nothing after), inf when m > 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(m > 0.0, np.power(eta, -gamma) * m, 0.0)


def per_point(pt: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``weights`` by point index (float64 even when empty)."""
    return np.bincount(pt, weights, minlength=n).astype(np.float64, copy=False)


@dataclass
class Plan:
    """The blocks chosen for a set of points, kept to evaluate the sum again for other (C, beta, gamma) while
    fitting: rows of ``(point, D, |D|, m range, lr range)`` for blocks and ``(point, d, m, eta)`` for terms."""

    points: int
    pt: np.ndarray
    dsum: np.ndarray
    dabs: np.ndarray
    m_lo: np.ndarray
    m_hi: np.ndarray
    e_lo: np.ndarray
    e_hi: np.ndarray
    leaf_pt: np.ndarray
    leaf_d: np.ndarray
    leaf_m: np.ndarray
    leaf_eta: np.ndarray

    def evaluate(self, c: float, beta: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
        """(LD without the factor B, its certified error bound) per point."""
        g_lo = g(_x(self.e_hi, self.m_lo, gamma), c, beta)
        g_hi = g(_x(self.e_lo, self.m_hi, gamma), c, beta)
        value = per_point(self.pt, self.dsum * (g_lo + g_hi) * 0.5, self.points)
        bound = per_point(self.pt, self.dabs * (g_hi - g_lo) * 0.5, self.points)
        value += per_point(self.leaf_pt, self.leaf_d * g(_x(self.leaf_eta, self.leaf_m, gamma), c, beta), self.points)
        return value, bound


def loss_drop(
    pre: Prefix, s: np.ndarray, c: float, beta: float, gamma: float, eps: np.ndarray, keep: bool = False
) -> tuple[np.ndarray, np.ndarray, Plan | None]:
    """``LD(s) / B`` at the updates ``s`` (int64, each ``< pre.size``), its certified error bound, and the
    plan of blocks when ``keep``. ``eps`` (one per point) is the per-block error threshold; 0 sums exactly."""
    n, size = len(s), pre.size
    eta, pz, absz = pre.eta, pre.pz, pre.absz
    value = np.zeros(n)
    bound = np.zeros(n)
    ps = pz[s + 1]
    rows: list[tuple[np.ndarray, ...]] = []
    pt = np.arange(n)
    idx = np.zeros(n, dtype=np.int64)
    for level in range(pre.top, BASE - 1, -1):
        start = idx << level
        e = np.minimum(start + (1 << level), size)
        inside = e - 1 <= s[pt]
        ins = np.flatnonzero(inside)
        if len(ins):
            a, b, p, node = start[ins], e[ins], pt[ins], idx[ins]
            dabs = absz[b] - absz[a]
            dsum = eta[b - 1] - eta[np.maximum(a - 1, 0)]
            m_hi = ps[p] - pz[a]
            m_lo = ps[p] - pz[b - 1]
            e_lo, e_hi = pre.lo[level - BASE][node], pre.hi[level - BASE][node]
            g_lo = g(_x(e_hi, m_lo, gamma), c, beta)
            g_hi = g(_x(e_lo, m_hi, gamma), c, beta)
            err = dabs * (g_hi - g_lo) * 0.5
            ok = err <= eps[p]
            value += per_point(p[ok], dsum[ok] * (g_lo[ok] + g_hi[ok]) * 0.5, n)
            bound += per_point(p[ok], err[ok], n)
            if keep:
                rows.append((p[ok], dsum[ok], dabs[ok], m_lo[ok], m_hi[ok], e_lo[ok], e_hi[ok]))
        split = np.ones(len(pt), dtype=bool)
        if len(ins):
            split[ins[ok]] = False
        # Straddling blocks (they reach past s) and failed ones go down a level; children past s are dropped.
        pt, idx = pt[split], idx[split]
        if level == BASE:
            break
        pt = np.repeat(pt, 2)
        idx = np.repeat(idx << 1, 2)
        idx[1::2] += 1
        live = (idx << (level - 1)) <= s[pt]
        pt, idx = pt[live], idx[live]
    leaf = _leaves(pre, s, ps, pt, idx, c, beta, gamma)
    value += per_point(leaf[0], leaf[1] * g(_x(leaf[3], leaf[2], gamma), c, beta), n)
    plan = None
    if keep:
        cols = [np.concatenate([r[i] for r in rows]) if rows else np.zeros(0) for i in range(7)]
        plan = Plan(n, cols[0].astype(np.int64), *cols[1:], *leaf)
    return value, bound, plan


def _leaves(
    pre: Prefix, s: np.ndarray, ps: np.ndarray, pt: np.ndarray, idx: np.ndarray, c: float, beta: float, gamma: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The single terms of the smallest blocks still open: (point, d_k, m_k(s), eta_k) for k <= s, d_k != 0."""
    k = ((idx << BASE)[:, None] + np.arange(1 << BASE)[None, :]).ravel()
    p = np.repeat(pt, 1 << BASE)
    keep = (k <= s[p]) & (k >= 1)
    k, p = k[keep], p[keep]
    d = pre.eta[k] - pre.eta[k - 1]
    nz = d != 0.0
    k, p, d = k[nz], p[nz], d[nz]
    return p, d, ps[p] - pre.pz[k], pre.eta[k]
