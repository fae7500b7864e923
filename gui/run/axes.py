"""Chart axes: simulated time as m:ss on friendly steps, and compact counts (1.2k, 3M).

pyqtgraph's default SI prefixes turn "events/s" into "kevents/s" and seconds into "ks"; these
axes keep the unit in the label and the numbers short.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

from gui.run.series import fmt_clock, fmt_count

# Tick steps in seconds that read well on a clock.
_TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]


class TimeAxisItem(pg.AxisItem):
    """Bottom axis over simulated seconds, labelled m:ss (h:mm:ss past an hour)."""

    def __init__(self, **kwargs):
        super().__init__(orientation="bottom", **kwargs)
        self.enableAutoSIPrefix(False)

    def tickSpacing(self, minVal, maxVal, size):
        span = max(maxVal - minVal, 1e-9)
        # Aim for a label every ~50 px.
        want = span / max(size / 50.0, 1.0)
        if want < 1:
            return super().tickSpacing(minVal, maxVal, size)
        major = next((s for s in _TIME_STEPS if s >= want), _TIME_STEPS[-1] * math.ceil(want / _TIME_STEPS[-1]))
        minor = next((s for s in reversed(_TIME_STEPS) if s <= major / 4), major / 5)
        return [(major, 0), (minor, 0)]

    def tickStrings(self, values, scale, spacing):
        if spacing < 1:
            return [f"{v:.2f}" for v in values]
        return [fmt_clock(v) if v >= 0 else "" for v in values]


class CompactAxisItem(pg.AxisItem):
    """Left axis with short numbers (1.2k) and the unit kept in the label."""

    def __init__(self, **kwargs):
        super().__init__(orientation="left", **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        if spacing >= 1000:
            return [fmt_count(v) for v in values]
        if spacing >= 1:
            return [f"{v:.0f}" for v in values]
        digits = min(6, max(0, -int(math.floor(math.log10(spacing)))))
        return [f"{v:.{digits}f}" for v in values]
