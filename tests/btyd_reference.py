"""An independent reference for BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the
easy way", Marketing Science 24(2), equation 6; P(alive) from Fader, Hardie & Lee 2008, "Computing
P(alive) using the BG/NBD model", brucehardie.com note 021), written from the papers with scipy,
to check pymc-marketing's numbers against. And the generative processes, to simulate customers.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp


def bgnbd_log_likelihood(x, t_x, T, r, alpha, a, b) -> np.ndarray:
    """Per customer: log L(r, alpha, a, b | x, t_x, T)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.full_like(x, -np.inf)
    a4[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return a1 + a2 + logsumexp(np.stack([a3, a4]), axis=0)


def bgnbd_p_alive(x, t_x, T, r, alpha, a, b) -> np.ndarray:
    """Per customer: P(still active at T | x, t_x, T)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    ratio = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return 1 / (1 + ratio)


def simulate(rng: np.random.Generator, n: int, T: np.ndarray, r, alpha, a, b, p, q, v):
    """Customers from the generative processes, in continuous time (days): each one's order
    rate lambda ~ Gamma(r, rate alpha), drop-out probability after each repeat order
    pi ~ Beta(a, b); orders at exponential gaps while active, up to T after the first; spend per
    order z ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v). Returns (customer, time, spend) arrays
    of every order, first orders at time 0."""
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1 / v, n)
    who, when = [np.arange(n)], [np.zeros(n)]
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():  # one repeat order per active customer per round
        t = t + rng.exponential(1 / lam)
        active &= t <= T
        who.append(np.flatnonzero(active))
        when.append(t[active])
        active &= rng.random(n) >= drop
    customer = np.concatenate(who)
    spend = rng.gamma(p, 1 / nu[customer])
    return customer, np.concatenate(when), spend
