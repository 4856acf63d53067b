"""Progress display for ``train(..., progress=True)`` and
``simulate(..., progress=True)``, built on the progress callback.

A tqdm bar when tqdm is installed; otherwise log lines on the
``"cobre.progress"`` logger (at most one every two seconds, plus the last),
written to standard error when logging is not configured at all.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

_LOG = logging.getLogger("cobre.progress")


def field(event: Any, *names: str, default: Any = None) -> Any:
    """The first of ``event.name`` / ``event[name]`` that is set, for each of
    ``names`` in turn: callbacks receive dicts or event objects, whose field
    names may differ (``completed`` / ``scenarios_complete``)."""
    for name in names:
        value = event.get(name) if isinstance(event, Mapping) else getattr(event, name, None)
        if value is not None:
            return value
    return default


def _money(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "—"
    if x != x or x in (float("inf"), float("-inf")):
        return "—"
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.2f}"


def training_text(ev: Any) -> str:
    """The bounds of one iteration, with the command line's words."""
    kind = field(ev, "upper_bound_kind")
    ub = _money(field(ev, "upper_bound"))
    if kind == "statistical":
        ub = f"{ub} ± {_money(field(ev, 'ci_95'))}"
    elif kind == "single_sample":
        ub = f"~{ub} (one pass: estimate, not a bound)"
    elif kind == "exact":
        ub = f"{ub} (exact)"
    gap = field(ev, "gap")
    gap_text = "—" if gap is None else f"{100.0 * float(gap):.4f} %"
    return f"LB {_money(field(ev, 'lower_bound'))}  UB {ub}  gap {gap_text}"


def _stderr_fallback() -> bool:
    """Whether nothing would show a record of the progress logger."""
    logger: logging.Logger | None = _LOG
    while logger is not None:
        if any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
            return False
        if not logger.propagate:
            break
        logger = logger.parent
    return True


class Progress:
    """A bar for one call: ``callback(user_cb)`` returns the callback to pass
    to the native call; ``close()`` ends the display."""

    def __init__(self, what: str, total: int | None, unit: str) -> None:
        self.what = what
        self.unit = unit
        self.total = total
        self.done = 0
        self._last_log = 0.0
        self._bar: Any = None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self._bar = tqdm(total=total, desc=what, unit=unit, dynamic_ncols=True)

    @property
    def uses_tqdm(self) -> bool:
        """Whether a tqdm bar is drawn (else log lines)."""
        return self._bar is not None

    def update(self, done: int, total: int | None, text: str) -> None:
        """Moves to ``done`` of ``total`` with a status ``text``."""
        if total is not None and total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
        step = done - self.done
        self.done = done
        if self._bar is not None:
            if text:
                self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(max(step, 0))
            return
        now = time.monotonic()
        last = self.total is not None and done >= self.total
        if last or now - self._last_log >= 2.0 or self._last_log == 0.0:
            self._last_log = now
            of = f"/{self.total}" if self.total is not None else ""
            line = f"{self.what} {done}{of} {self.unit}" + (f"  {text}" if text else "")
            if _stderr_fallback():
                print(line, file=sys.stderr, flush=True)
            else:
                _LOG.info(line)

    def close(self) -> None:
        """Ends the display."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def training_callback(self, user: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        """The callback of ``train``: moves the bar, then calls ``user``."""

        def callback(ev: Any) -> Any:
            done = int(field(ev, "iteration", default=self.done + 1))
            self.update(done, None, training_text(ev))
            return None if user is None else user(ev)

        return callback

    def simulation_callback(self, user: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        """The callback of ``simulate``: moves the bar, then calls ``user``."""

        def callback(ev: Any) -> Any:
            total = field(ev, "total", "scenarios_total")
            done = int(field(ev, "completed", "scenarios_complete", default=self.done + 1))
            self.update(done, None if total is None else int(total), "")
            return None if user is None else user(ev)

        return callback


def iteration_limit(config: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> int | None:
    """The iteration limit of a run: the smallest ``iteration_limit`` stopping
    rule of ``training.stopping_rules``, taken from the overrides when they
    give that list (an override replaces a list as a whole, as in the merge
    into ``config.json``), else from the case's configuration."""
    rules = None
    if overrides:
        training = overrides.get("training")
        if isinstance(training, Mapping) and "stopping_rules" in training:
            rules = training.get("stopping_rules")
    if rules is None:
        training = config.get("training") or {}
        rules = training.get("stopping_rules") if isinstance(training, Mapping) else None
    limits = [
        int(r["limit"])
        for r in (rules or [])
        if isinstance(r, Mapping) and r.get("type") == "iteration_limit" and "limit" in r
    ]
    return min(limits) if limits else None
