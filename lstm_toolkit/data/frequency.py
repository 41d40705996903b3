"""Time steps: a series' frequency, the steps it skips or is off, its season, and the timestamps after it."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.data.clock import DAY_NS
from lstm_toolkit.errors import DataError

# `infer_frequency` and `missing_steps` lay out a grid of timestamps only where it would have at most this many rows.
MAX_GRID_ROWS = 10_000_000
_NO_TIMES = pd.DatetimeIndex([])  # what `missing_steps` and `irregular_steps` find in regular data (immutable: shared)
# `nearest_frequency`'s candidates: (alias, one step, a calendar frequency whose steps vary).
_NEAREST = (("YS", pd.Timedelta(days=365.2425), True), ("QS", pd.Timedelta(days=91.31), True),
            ("MS", pd.Timedelta(days=30.44), True), ("W", pd.Timedelta(days=7), False), ("D", pd.Timedelta(days=1), False),
            ("h", pd.Timedelta(hours=1), False), ("min", pd.Timedelta(minutes=1), False),
            ("s", pd.Timedelta(seconds=1), False), ("ms", pd.Timedelta(milliseconds=1), False))


def infer_frequency(index):
    """Returns the frequency string of a DatetimeIndex, or None for a row index.

    Uses `pd.infer_freq`; for irregular trading-day data (weekdays with
    holidays missing) returns "B", otherwise the median step.

    Example:
    >>> infer_frequency(pd.date_range("2024-01-01", periods=5, freq="h"))
    'h'
    """
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    with warnings.catch_warnings():
        # pandas >= 3 warns that infer_freq will return an offset; we want the string either way.
        warnings.filterwarnings("ignore", message=".*from infer_freq")
        freq = pd.infer_freq(index)
    if freq is not None:
        return pd.tseries.frequencies.to_offset(freq).freqstr
    if (index.day_of_week < 5).all() and (index.normalize() == index).all():
        return "B"
    with_gaps = _grid_frequency(index)
    if with_gaps is not None:
        return with_gaps
    step = pd.Series(index).diff().median()
    return pd.tseries.frequencies.to_offset(step).freqstr


def _grid_frequency(index):
    """The frequency of a regular grid that holds every timestamp of `index`, some of its steps missing; else None.

    Read by `pd.infer_freq` on the longest stretch without a gap (a step over 1.5 times the median), and kept only
    if every timestamp lies on that grid: monthly data with a missing month stays monthly (not "744h").
    """
    steps = np.diff(index.as_unit("ns").asi8)
    stretches = np.split(np.arange(len(index)), np.flatnonzero(steps > 1.5 * np.median(steps)) + 1)
    longest = max(stretches, key=len)
    if len(longest) < 3 or (index[-1] - index[0]).value > MAX_GRID_ROWS * int(steps.min()):
        return None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*from infer_freq")
        freq = pd.infer_freq(index[longest])
    if freq is None or not index.isin(pd.date_range(index[0], index[-1], freq=freq)).all():
        return None
    return pd.tseries.frequencies.to_offset(freq).freqstr


def integer_step(index):
    """The step of an index of integers (years, step counts): a RangeIndex's own, else the greatest common divisor of
    its steps (1 with fewer than two rows). `as_frame` has checked it sorted and free of duplicates.

    Example:
    >>> integer_step(pd.RangeIndex(0, 30, 5)), integer_step(pd.Index([1990, 1995, 2000, 2010])), integer_step(pd.Index([7]))
    (5, 5, 1)
    """
    if isinstance(index, pd.RangeIndex):
        return abs(index.step)
    steps = np.diff(np.asarray(index, dtype="int64"))
    return int(np.gcd.reduce(steps)) if len(steps) and steps.any() else 1


def missing_steps(index, freq):
    """The timestamps a regular index of frequency `freq` would hold between the first and last of `index`, and lacks.

    For an index of integers, the labels of its step (`integer_step`) that it
    lacks: a year missing from a yearly index. Empty for a RangeIndex, no
    frequency, business days (holidays are meant to be missing), or an index
    whose steps are not steps of `freq`.

    Example:
    >>> index = pd.date_range("2024-01-01", periods=8, freq="MS").delete([2, 3])
    >>> missing_steps(index, infer_frequency(index)).strftime("%Y-%m").tolist()
    ['2024-03', '2024-04']
    >>> missing_steps(pd.Index([1990, 1995, 2005]), None).tolist()
    [2000]
    """
    if not isinstance(index, (pd.DatetimeIndex, pd.RangeIndex)) and pd.api.types.is_integer_dtype(index) and len(index) > 1:
        step, first, last = integer_step(index), int(index[0]), int(index[-1])
        if (last - first) // step > MAX_GRID_ROWS:
            return pd.Index([], dtype="int64")
        return pd.RangeIndex(first, last + 1, step).difference(index)
    found = _steps_of(index, freq)
    if found is None:
        return _NO_TIMES
    wall, gaps, (shortest, longest) = found
    grid = _grid(wall, freq, shortest) if gaps.max() > longest else None  # no longer step: nothing skipped
    if grid is None or not wall.isin(grid).all():
        return _NO_TIMES
    missing = grid.difference(wall)
    return missing if wall is index else missing.tz_localize(index.tz)  # in the index's own time zone


def irregular_steps(index, freq):
    """The timestamps of `index` reached by a step that is not a whole number of steps of `freq`: data on no grid.

    Jittered readings (hourly, a few seconds off each hour) and event times
    have no frequency; `infer_frequency` then gives their median step, and
    every other step is off it. Empty for a row index, no frequency, business
    days, and regular data, missing steps included (`missing_steps` names those).
    Steps of a day or longer are read on the wall clock (`_steps_of`).

    Example:
    >>> hours = pd.date_range("2024-01-01", periods=5, freq="h")
    >>> len(irregular_steps(hours.delete(2), "h")), len(irregular_steps(hours + pd.to_timedelta([0, 7, 0, 3, 0], "s"), "h"))
    (0, 4)
    """
    found = _steps_of(index, freq)
    if found is None:
        return _NO_TIMES
    wall, gaps, (shortest, longest) = found
    if shortest == longest:  # a fixed step
        off = gaps % shortest != 0
    else:
        off = gaps < shortest
        if not off.any() and gaps.max() > longest and (grid := _grid(wall, freq, shortest)) is not None:
            off = ~wall[1:].isin(grid)  # a calendar step skipped: is every timestamp on its grid?
    return index[1:][off] if off.any() else _NO_TIMES


def _steps_of(index, freq):
    """What `missing_steps` and `irregular_steps` read: `(index, its steps in ns, (shortest, longest) step of freq)`.

    None where there is nothing to check: a row index, fewer than two rows, no frequency, business days (holidays
    are meant to be missing), or a frequency pandas cannot lay out. Steps of a day or longer are read on the wall
    clock, so a daily index with a time zone is regular across the changes of clocks.
    """
    if not isinstance(freq, str) or freq.startswith(("B", "C")) or not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return None
    steps = _step_range(freq)
    if steps is None:
        return None
    wall = index.tz_localize(None) if index.tz is not None and steps[0] >= DAY_NS else index
    return wall, np.diff(wall.as_unit("ns").asi8), steps


def _grid(index, freq, shortest):
    """Every timestamp of frequency `freq` from the first of `index` to its last; None past `MAX_GRID_ROWS`."""
    if (index[-1] - index[0]).value > MAX_GRID_ROWS * shortest:
        return None
    return pd.date_range(index[0], index[-1], freq=freq)


def nearest_frequency(step):
    """A regular frequency near `step` (a Timedelta): what data with steps of about that length can be resampled to.

    Calendar frequencies (yearly, quarterly, monthly starts) are taken within
    10% of one of their steps; otherwise the largest unit of which `step` is
    within 5% of a whole number: weeks, days, hours, minutes, seconds or milliseconds.

    Example:
    >>> [nearest_frequency(pd.Timedelta(t)) for t in ("59min 58s", "90min", "31D", "7D 2h", "1.3s", "99ms")]
    ['h', '90min', 'MS', 'W', '1300ms', '99ms']
    """
    for alias, unit, calendar in _NEAREST:
        count = step / unit
        if calendar and 0.9 <= count <= 1.1:
            return alias
        if not calendar and count >= 0.95 and abs(count - round(count)) <= 0.05 * count:
            return alias if round(count) == 1 else f"{round(count)}{alias}"
    return "ms"


def check_frequency(index, freq):
    """Raises a DataError when `index` holds data of another frequency than `freq` (the training data's).

    Another frequency: every step shorter than any step of `freq` (hourly
    data for a daily model), or every step longer than one of it (daily data
    for an hourly model). Missing steps, the steps of the same frequency (a
    month of 28 or 31 days, a weekend in trading days) and irregular times pass.

    Example:
    >>> check_frequency(pd.date_range("2024-01-01", periods=5, freq="D"), "h")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: The data's time steps (1 day, 0:00:00 typically) are not steps of the frequency the model was trained on ('h'). Give data of that frequency, or fit a model on data of this one.
    """
    if freq is None or not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return
    shortest, longest = _step_range(freq) or (None, None)
    steps = np.diff(index.as_unit("ns").asi8)
    if shortest is not None and (steps.max() < shortest or steps.min() > longest):
        raise DataError(
            f"The data's time steps ({pd.Timedelta(int(np.median(steps)), 'ns').to_pytimedelta()} typically) are not "
            f"steps of the frequency the model was trained on ({freq!r}). Give data of that frequency"
            + (f" (aggregate it: df.resample({freq!r}).mean())" if steps.max() < shortest else "")
            + ", or fit a model on data of this one."
        )


@functools.lru_cache(maxsize=64)
def _step_range(freq):
    """`(shortest, longest)` step of frequency `freq` in nanoseconds (28 and 31 days for monthly); None when pandas
    cannot lay it out."""
    try:
        steps = np.diff(pd.date_range("1900-01-01", periods=25, freq=freq).as_unit("ns").asi8)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None
    return int(steps.min()), int(steps.max())


def season_length_for(freq):
    """Returns the length of the main seasonal cycle for a frequency string.

    Sub-daily data gets the daily cycle (24 for hourly, 48 for half-hourly),
    daily data the weekly one (7; 5 for business days), weekly 52, monthly 12,
    quarterly 4; anything else (and no frequency) 1, meaning "no season".

    Example:
    >>> season_length_for("30min"), season_length_for("MS"), season_length_for(None)
    (48, 12, 1)
    """
    if freq is None:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.rule_code.split("-")[0]
    if name == "B":
        return 5
    if name == "D":  # not a fixed-length Tick in pandas >= 3
        return 7 if offset.n == 1 else 1
    if isinstance(offset, pd.offsets.Tick):
        step = pd.Timedelta(offset)
        if step < pd.Timedelta(days=1):
            return max(1, int(round(pd.Timedelta(days=1) / step)))
        if step == pd.Timedelta(days=1):
            return 7
        if step == pd.Timedelta(days=7):
            return 52
        return 1
    if name in ("W",):
        return 52 // offset.n if offset.n else 1
    if name in ("M", "MS", "ME", "BM", "BMS", "BME", "SM", "SMS"):
        return max(1, 12 // offset.n)
    if name in ("Q", "QS", "QE", "BQ", "BQS", "BQE"):
        return max(1, 4 // offset.n)
    return 1


def future_index(index, freq, periods):
    """Returns the `periods` index labels that follow `index`: timestamps of frequency `freq`, or integers at the
    index's own step (`integer_step`).

    Example:
    >>> future_index(pd.RangeIndex(3), None, 2).tolist()
    [3, 4]
    >>> future_index(pd.Index([1990, 1995, 2000]), None, 2).tolist()
    [2005, 2010]
    """
    if isinstance(index, pd.DatetimeIndex):
        if freq is None:
            raise DataError(
                "Cannot build future timestamps: the frequency of the series is unknown. "
                "Give a regular DatetimeIndex (or use a row index)."
            )
        offset = pd.tseries.frequencies.to_offset(freq)
        return pd.date_range(index[-1] + offset, periods=periods, freq=offset, name=index.name)
    step = integer_step(index)
    first = int(index[-1]) + step
    return pd.RangeIndex(first, first + step * periods, step, name=index.name)
