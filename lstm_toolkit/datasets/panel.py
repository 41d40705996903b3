"""A synthetic but realistic panel of many series: what a retailer's or utility's nightly forecast reads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.errors import ConfigError, check_integer


def synthetic_panel(n_series, length, seed=0, freq="h", short_fraction=0.01, end="2026-01-01"):
    """A long DataFrame of `n_series` hourly series, columns `series`, `timestamp`, `value`.

    Each series has its own level, linear trend, daily and weekly cycles (amplitudes and
    phases of its own), noise level (signal-to-noise from about 1 to 20) and length:
    most have between `length // 2` and `length` rows, all ending at `end`, and a
    `short_fraction` of them only 36 rows, too short for most windows (a
    new product, a new meter). Rows are sorted by series, then time.

    Args:
        n_series: number of series (ids 0 .. n_series - 1).
        length: rows of the longest series.
        seed: the random seed; the same seed gives the same panel.
        freq: the pandas frequency of the timestamps.
        short_fraction: the share of series with only 36 rows.
        end: the last timestamp of every series.

    Example:
    >>> panel = synthetic_panel(20, 100, seed=0)
    >>> panel.columns.tolist(), panel["series"].nunique()
    (['series', 'timestamp', 'value'], 20)
    >>> bool(panel.groupby("series")["timestamp"].is_monotonic_increasing.all())
    True
    """
    for name, value in (("n_series", n_series), ("length", length)):
        check_integer(value, name)
    if not 0 <= short_fraction <= 1:
        raise ConfigError(f"`short_fraction` must be in [0, 1]. Received: short_fraction={short_fraction}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(max(1, length // 2), length + 1, size=n_series)
    lengths[rng.random(n_series) < short_fraction] = min(36, length)
    step = np.arange(length, dtype="float64")[None, :] - (length - 1)  # 0 at the last row, negative before
    level = rng.lognormal(3.0, 1.0, size=(n_series, 1))
    trend = rng.normal(0.0, 0.5, size=(n_series, 1)) * level / length
    daily = rng.uniform(0.0, 0.3, size=(n_series, 1)) * level
    weekly = rng.uniform(0.0, 0.2, size=(n_series, 1)) * level
    phase_day, phase_week = rng.uniform(0, 2 * np.pi, size=(2, n_series, 1))
    noise = rng.uniform(0.02, 0.3, size=(n_series, 1)) * (daily + weekly + 0.05 * level)
    values = (
        level
        + trend * step
        + daily * np.sin(2 * np.pi * step / 24 + phase_day)
        + weekly * np.sin(2 * np.pi * step / 168 + phase_week)
        + noise * rng.standard_normal((n_series, length))
    )
    keep = np.arange(length)[None, :] >= (length - lengths)[:, None]  # each series' last `lengths` rows
    times = pd.date_range(end=end, periods=length, freq=freq)
    rows, columns = np.nonzero(keep)
    return pd.DataFrame({"series": rows, "timestamp": times[columns], "value": values[rows, columns].astype("float32")})
