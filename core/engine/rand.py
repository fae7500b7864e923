"""Random streams and buffered samplers.

Every component draws from its own stream, keyed by the run seed and its node id, so
editing one node never reshuffles another's randomness. Samplers draw in numpy
chunks and hand values out one by one: the hot path pays a list pop, not a numpy call.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

Z99 = 2.3263478740408408  # standard normal quantile at 0.99
CHUNK = 4096


def stream(seed: int, *names: str) -> np.random.Generator:
    """An independent generator for (seed, names…); stable across runs and Python versions."""
    return np.random.default_rng([int(seed)] + [zlib.crc32(n.encode()) for n in names])


def _draw(dist: dict, rng: np.random.Generator, n: int) -> np.ndarray:
    kind = dist["dist"]
    if kind == "const":
        return np.full(n, float(dist["value"]))
    if kind == "exp":
        return rng.exponential(float(dist["mean"]), n)
    if kind == "lognormal":
        mu = math.log(dist["median"])
        sigma = (math.log(dist["p99"]) - mu) / Z99
        return rng.lognormal(mu, sigma, n) if sigma > 0 else np.full(n, float(dist["median"]))
    if kind == "uniform":
        return rng.uniform(float(dist["low"]), float(dist["high"]), n)
    if kind == "empirical":
        return rng.choice(np.asarray(dist["samples"], dtype=float), n)
    raise ValueError(f"unknown distribution {kind!r}")


class Sampler:
    """Draws from a distribution dict (SPEC §1) in chunks; `next()` returns one value."""

    __slots__ = ("dist", "rng", "_buf", "next")

    def __init__(self, dist: dict | None, rng: np.random.Generator):
        self.dist = dist
        self.rng = rng
        self._buf: list[float] = []
        if not dist:
            self.next = _zero
        elif dist["dist"] == "const":
            v = float(dist["value"])
            self.next = lambda: v
        else:
            self.next = self._next

    def _next(self) -> float:
        buf = self._buf
        if buf:
            return buf.pop()
        self._buf = buf = _draw(self.dist, self.rng, CHUNK).tolist()
        return buf.pop()

    def take(self) -> list[float]:
        """Hand out the next chunk as a list to pop from (for hot paths); same stream as next()."""
        return self.take_array().tolist()

    def take_array(self) -> np.ndarray:
        """The next chunk as an array (hot paths pop from its tolist() from the end)."""
        buf = self._buf
        self._buf = []
        if buf:
            return np.asarray(buf, dtype=float)  # what next() left of its chunk
        if not self.dist:
            return np.zeros(256)
        return _draw(self.dist, self.rng, CHUNK)


def _zero() -> float:
    return 0.0


class Uniform:
    """Buffered U(0,1) draws for coin flips (error rates, jitter)."""

    __slots__ = ("rng", "_buf")

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._buf: list[float] = []

    def next(self) -> float:
        buf = self._buf
        if buf:
            return buf.pop()
        self._buf = buf = self.rng.random(CHUNK).tolist()
        return buf.pop()


def as_dist(value: Any) -> dict | None:
    """Behaviour values may be a distribution dict, a bare number (const), or null/false (none)."""
    if value is None or value is False:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "const", "value": float(value)}
    return value
