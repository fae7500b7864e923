"""Traffic: arrival times (Poisson, constant, rate profiles, bursts, CSV replay) and payloads.

Arrival times and template choices are drawn with numpy a chunk at a time; the kernel
holds one pending arrival per workload, so memory does not grow with traffic.
"""

from __future__ import annotations

import csv
import math
from heapq import heappush
from pathlib import Path

import numpy as np

from core.engine.events import Ev, Template
from core.model import Arrivals, Workload

CHUNK = 2048


class ReplayError(ValueError):
    """A replay CSV that cannot be used."""


def read_replay(file: str, base_dir: str | None) -> np.ndarray:
    """Timestamps (seconds from start) from the first numeric column of a CSV; header optional."""
    path = Path(file)
    if not path.is_absolute() and base_dir:
        path = Path(base_dir) / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ReplayError(f"cannot read replay file {str(path)!r}: {e.strerror or e}") from None
    out = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not row[0].strip():
            continue
        try:
            v = float(row[0])
        except ValueError:
            if lineno == 1:
                continue  # header
            raise ReplayError(f"{path.name} line {lineno}: {row[0]!r} is not a time in seconds") from None
        if not math.isfinite(v) or v < 0:
            raise ReplayError(f"{path.name} line {lineno}: times must be finite and >= 0")
        out.append(v)
    return np.sort(np.asarray(out, dtype=float))


class RateCurve:
    """Λ(t), the expected number of arrivals by t, and its inverse, for a rate profile."""

    def __init__(self, a: Arrivals):
        if a.profile:
            pts = [(float(t), float(r)) for t, r in a.profile]
        else:
            pts = [(0.0, float(a.rate or 0.0))]
        if pts[0][0] > 0:
            pts.insert(0, (0.0, 0.0 if a.profile else pts[0][1]))
        ts, rs = [], []
        for (t0, r0), (t1, r1) in zip(pts, pts[1:], strict=False):
            if a.interpolate == "linear" and t1 > t0:
                # 64 sub-segments at their midpoint rate: Λ is exact at every sub-grid point
                edges = np.linspace(t0, t1, 65)
                mids = (edges[:-1] + edges[1:]) / 2
                ts.extend(edges[:-1].tolist())
                rs.extend((r0 + (r1 - r0) * (mids - t0) / (t1 - t0)).tolist())
            else:
                ts.append(t0)
                rs.append(r0)
        ts.append(pts[-1][0])
        rs.append(pts[-1][1])
        self.t = np.asarray(ts, dtype=float)
        self.r = np.asarray(rs, dtype=float)  # rate from t[i] to t[i+1] (last: forever)
        seg = np.diff(self.t) * self.r[:-1]
        self.cum = np.concatenate(([0.0], np.cumsum(seg)))

    def inverse(self, lam: np.ndarray) -> np.ndarray:
        """Times at which Λ reaches each value in lam (inf where never)."""
        out = np.empty_like(lam)
        last_cum, last_t, last_r = self.cum[-1], self.t[-1], self.r[-1]
        inside = lam <= last_cum
        if inside.any():
            idx = np.searchsorted(self.cum, lam[inside], side="right") - 1
            idx = np.clip(idx, 0, len(self.r) - 2 if len(self.r) > 1 else 0)
            r = self.r[idx]
            base = self.cum[idx]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[inside] = np.where(r > 0, self.t[idx] + (lam[inside] - base) / np.where(r > 0, r, 1), np.inf)
        beyond = ~inside
        if beyond.any():
            out[beyond] = (last_t + (lam[beyond] - last_cum) / last_r) if last_r > 0 else np.inf
        return out

    def at(self, t: float) -> float:
        return float(self.cum[-1] + (t - self.t[-1]) * self.r[-1]) if t >= self.t[-1] else float(
            np.interp(t, self.t, self.cum))


class WorkloadSource:
    """Feeds one workload's events into its target component."""

    def __init__(self, sim, w: Workload, target, start_at: float = 0.0):
        self.sim = sim
        self.w = w
        self.active = True  # False once an edit replaced this source mid-run
        self.start_at = start_at
        self.id = w.id
        self.target = target
        self.kernel = sim.kernel
        self.acct = sim.acct
        self.rng = sim.rng(w.id, "arrivals")
        self.pick_rng = sim.rng(w.id, "payloads")
        weights = np.asarray([e.weight for e in w.events], dtype=float)
        self.p = weights / weights.sum()
        self.templates = [
            Template(e.payload, e.poison, e.size_bytes or 0, i, w.id) for i, e in enumerate(w.events)
        ]
        self.keys = [self._keyset(e.partition_keys, "key") for e in w.events]
        self.groups = [self._keyset(e.message_groups, "group") for e in w.events]
        self.keyed = any(k is not None for k in self.keys + self.groups)
        self.end = min(w.arrivals.end if w.arrivals.end is not None else math.inf,
                       sim.duration)
        self._times: list[float] = []
        self._picks: list[int] = []
        self._lam = 0.0  # unit-rate clock position for profile processes
        self._done = False
        a = w.arrivals
        self.kind = a.process
        if a.process in ("poisson", "constant", "profile"):
            self.curve = RateCurve(a)
            self._lam = self.curve.at(max(a.start, start_at))
        elif a.process == "burst":
            n = int(a.count or 0)
            at = float(a.at or 0.0)
            if a.spread > 0 and n > 1:
                times = at + np.sort(self.rng.uniform(0.0, a.spread, n))
            else:
                times = np.full(n, at)
            self._preset = times
        else:
            if a.times is not None:
                self._preset = np.sort(np.asarray(a.times, dtype=float))
            else:
                self._preset = read_replay(a.file, sim.scenario.base_dir)
        self.schedule = self.kernel.schedule
        self.heap = self.kernel._heap
        self.slot = self.kernel._slot
        self.seq = self.kernel._seq
        self.arrive_cb = self._arrive

    @staticmethod
    def _keyset(spec, prefix):
        if spec is None:
            return None
        if isinstance(spec, int):
            return [f"{prefix}-{i}" for i in range(max(1, spec))]
        return list(spec) or None

    def start(self) -> None:
        self._refill()
        self._next()

    def _refill(self) -> None:
        a = self.w.arrivals
        if self.kind in ("burst", "replay"):
            times = self._preset[(self._preset >= max(a.start, self.start_at)) & (self._preset < self.end)]
            self._preset = np.empty(0)
        else:
            if a.process == "constant":
                lam = self._lam + np.arange(1, CHUNK + 1, dtype=float)
            else:
                lam = self._lam + np.cumsum(self.rng.exponential(1.0, CHUNK))
            self._lam = float(lam[-1])
            times = self.curve.inverse(lam)
            times = times[times < self.end]
            if len(times) < CHUNK:
                self._done = True
        n = len(times)
        picks = (self.pick_rng.choice(len(self.p), size=n, p=self.p) if len(self.p) > 1
                 else np.zeros(n, dtype=np.int64))
        self._times = times[::-1].tolist()
        self._picks = picks[::-1].tolist()
        if self.kind in ("burst", "replay"):
            self._done = True

    def _next(self) -> None:
        if not self._times:
            if self._done:
                return
            self._refill()
            if not self._times:
                return
        self.kernel.schedule(self._times.pop(), self._arrive, self._picks.pop())

    def _arrive(self, t: float, pick: int) -> None:
        # Runs arrivals back to back while the next one comes before anything else in the
        # kernel's schedule (heap and slot): the same order, with the same sequence numbers,
        # as scheduling each one (run_before/run_some keep a sentinel at their bound).
        # Edits (which may retire this source) only happen between runs, never inside this loop.
        if not self.active:
            return
        heap = self.heap
        slot = self.slot
        acct = self.acct
        accept = self.target.accept
        templates = self.templates
        times = self._times
        picks = self._picks
        seq = self.seq
        keyed = self.keyed
        key = group = None
        while True:
            if keyed:
                key = group = None
                keys = self.keys[pick]
                groups = self.groups[pick]
                if keys is not None:
                    key = keys[int(self.pick_rng.integers(len(keys)))] if len(keys) > 1 else keys[0]
                if groups is not None:
                    group = groups[int(self.pick_rng.integers(len(groups)))] if len(groups) > 1 else groups[0]
            i = acct.created
            if i != acct.next_journey:
                acct.created = i + 1
                ev = Ev()  # new_ev(i, t, template, key, group, 0, None), inlined
                ev.id = i
                ev.t0 = t
                ev.tmpl = templates[pick]
                ev.key = key
                ev.group = group
                ev.done = False
                ev.depth = 0
                ev.j = None
            else:
                ev = acct.new(t, templates[pick], key, group, 0, self.id)
            if not times:
                self._next()  # refills self._times
                accept(t, ev)
                return
            t2 = times.pop()
            p2 = picks.pop()
            s = next(seq)
            if t2 == t:
                # Simultaneous sends stay visible in the heap (a poll waits for them all).
                heappush(heap, (t2, s, self.arrive_cb, p2))
                accept(t, ev)
                return
            accept(t, ev)
            n = slot[0]  # another workload's next arrival, waiting in the kernel's slot
            if n is None:
                if heap:  # (empty only under step(): then the arrival waits in the slot)
                    h = heap[0]
                    if t2 < h[0] or (t2 == h[0] and s < h[1]):
                        t = t2
                        pick = p2
                        continue
                slot[0] = (t2, s, self.arrive_cb, p2)  # due later than now: see the kernel's slot
                return
            h = heap[0] if heap else n
            if (t2 < h[0] or (t2 == h[0] and s < h[1])) and (t2 < n[0] or (t2 == n[0] and s < n[1])):
                t = t2
                pick = p2
                continue
            heappush(heap, (t2, s, self.arrive_cb, p2))
            return


class DirectCaller:
    """A workload that invokes a function itself, synchronously (InvocationType RequestResponse)."""

    def __init__(self, fn):
        self.fn = fn
        self.id = f"{fn.id}:RequestResponse"
        self.acct = fn.acct

    def accept(self, t: float, ev) -> None:
        if self.fn.invoke(t, ev, self, poison=ev.tmpl.poison) is None:
            self.fn.note(ev, t, f"429 ({self.fn.last_throttle})")
            self.acct.fail_to_caller(ev)

    def on_result(self, t: float, inv) -> None:
        if inv.err is None:
            self.acct.succeed(inv.payload)
        else:
            self.acct.fail_to_caller(inv.payload)
