"""EventBridge schedule expressions: rate(N unit) and the six-field cron(...), in UTC.

`parse_schedule(expr)` returns a Schedule whose `next_after(t)` gives the next firing,
in seconds since the simulation's start time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class ScheduleError(ValueError):
    """A schedule expression EventBridge would reject."""


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


@dataclass(frozen=True)
class Rate:
    period: float

    def next_after(self, t: float, start: datetime | None = None) -> float:
        # rate() schedules fire at the end of each period from when they were created.
        k = int(t // self.period) + 1
        return k * self.period


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None, what: str) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            if not s.isdigit() or int(s) == 0:
                raise ScheduleError(f"cron {what}: bad step {s!r}")
            step = int(s)
        if part in ("*", "?"):
            a, b = lo, hi
        elif "-" in part:
            x, y = part.split("-", 1)
            a, b = _num(x, names, what), _num(y, names, what)
        else:
            a = _num(part, names, what)
            b = hi if step > 1 else a
        if not (lo <= a <= hi and lo <= b <= hi):
            raise ScheduleError(f"cron {what}: {part!r} is outside {lo}–{hi}")
        if a <= b:
            out.update(range(a, b + 1, step))
        else:  # wrap-around range such as FRI-MON
            out.update(v for v in list(range(a, hi + 1)) + list(range(lo, b + 1)))
    return out


def _num(x: str, names, what) -> int:
    x = x.strip().upper()
    if names and x in names:
        return names[x]
    if not x.isdigit():
        raise ScheduleError(f"cron {what}: {x!r} is not a number{' or name' if names else ''}")
    return int(x)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset
    hours: frozenset
    dom: str  # raw day-of-month field (supports ?, *, L, W, lists)
    months: frozenset
    dow: str  # raw day-of-week field (supports ?, *, L, #, names)
    years: frozenset | None

    def _day_ok(self, d: datetime) -> bool:
        last = calendar.monthrange(d.year, d.month)[1]
        dow = (d.weekday() + 1) % 7 + 1  # SUN=1 … SAT=7
        if self.dom != "?":
            if not _dom_match(self.dom, d.day, last, d):
                return False
        if self.dow != "?":
            if not _dow_match(self.dow, dow, d.day, last):
                return False
        return True

    def next_after(self, t: float, start: datetime) -> float:
        cur = start + timedelta(seconds=t)
        cur = cur.replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours = sorted(self.hours)
        minutes = sorted(self.minutes)
        for _ in range(366 * 5):
            if (self.years is None or cur.year in self.years) and cur.month in self.months and self._day_ok(cur):
                for h in hours:
                    if h < cur.hour:
                        continue
                    for m in minutes:
                        if h == cur.hour and m < cur.minute:
                            continue
                        fire = cur.replace(hour=h, minute=m)
                        return (fire - start).total_seconds()
            cur = (cur + timedelta(days=1)).replace(hour=0, minute=0)
            if self.years is not None and cur.year > max(self.years):
                break
        return float("inf")


def _dom_match(field: str, day: int, last: int, d: datetime) -> bool:
    if field == "*":
        return True
    for part in field.split(","):
        if part == "L":
            if day == last:
                return True
        elif part.endswith("W"):
            target = int(part[:-1])
            target = min(target, last)
            base = d.replace(day=target)
            wd = base.weekday()
            if wd == 5:
                target = target - 1 if target > 1 else target + 2
            elif wd == 6:
                target = target + 1 if target < last else target - 2
            if day == target:
                return True
        elif day in _field(part, 1, 31, None, "day-of-month"):
            return True
    return False


def _dow_match(field: str, dow: int, day: int, last: int) -> bool:
    if field == "*":
        return True
    for part in field.split(","):
        up = part.upper()
        if "#" in up:
            x, n = up.split("#", 1)
            if dow == _num(x, _DAYS, "day-of-week") and (day - 1) // 7 + 1 == int(n):
                return True
        elif up.endswith("L") and up != "L":
            if dow == _num(up[:-1], _DAYS, "day-of-week") and day + 7 > last:
                return True
        elif up == "L":
            if dow == 7:
                return True
        elif dow in _field(up, 1, 7, _DAYS, "day-of-week"):
            return True
    return False


def parse_schedule(expr: str) -> Rate | Cron:
    if not isinstance(expr, str):
        raise ScheduleError("ScheduleExpression must be a string such as rate(5 minutes)")
    expr = expr.strip()
    m = _RATE.match(expr)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n == 0:
            raise ScheduleError("rate() value must be a positive whole number")
        if (n == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"rate({n} {unit}): use the singular unit for 1 and the plural otherwise")
        return Rate(n * _UNITS[unit.rstrip("s")])
    if expr.startswith("rate("):
        raise ScheduleError(f"{expr!r}: expected rate(N minute[s]|hour[s]|day[s])")
    if expr.startswith("cron(") and expr.endswith(")"):
        parts = expr[5:-1].split()
        if len(parts) != 6:
            raise ScheduleError(f"{expr!r}: cron() needs six fields: minutes hours day-of-month month day-of-week year")
        mi, h, dom, mon, dow, yr = parts
        if (dom == "?") == (dow == "?"):
            raise ScheduleError(f"{expr!r}: exactly one of day-of-month and day-of-week must be '?'")
        try:
            cron = Cron(
                frozenset(_field(mi, 0, 59, None, "minutes")),
                frozenset(_field(h, 0, 23, None, "hours")),
                dom.upper(),
                frozenset(_field(mon.upper(), 1, 12, _MONTHS, "month")),
                dow.upper(),
                None if yr == "*" else frozenset(_field(yr, 1970, 2199, None, "year")),
            )
            # exercise the day fields once so bad syntax fails now, not mid-run
            d = datetime(2026, 1, 1, tzinfo=UTC)
            cron._day_ok(d)
        except (ValueError, IndexError) as e:
            if isinstance(e, ScheduleError):
                raise
            raise ScheduleError(f"{expr!r}: {e}") from None
        return cron
    raise ScheduleError(f"{expr!r}: expected rate(...) or cron(...)")


def start_datetime(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
