"""Naive and seasonal-naive forecasts from many origins at once: what an LSTM must beat."""

from __future__ import annotations

import numpy as np

from lstm_toolkit.errors import DataError


def naive_forecast(values, origins, horizon):
    """Repeats the last observed value: forecast of row `o + h` is `values[o]`.

    Args:
        values: array (rows, n_targets) in original units.
        origins: rows of the last observation before each forecast.
        horizon: steps per forecast.

    Returns:
        Array (len(origins), horizon, n_targets).

    Example:
    >>> naive_forecast(np.arange(5.0)[:, None], [1, 3], 2)[:, :, 0].tolist()
    [[1.0, 1.0], [3.0, 3.0]]
    """
    values = np.asarray(values, dtype="float64")
    return np.repeat(values[np.asarray(origins)][:, None, :], horizon, axis=1)


def seasonal_naive_forecast(values, origins, horizon, season_length):
    """Repeats the last observed season: row `o + h` gets the latest row at the same phase.

    That row is `o + h - m * ceil(h / m)` for season length `m`; with m = 1 this
    is the naive forecast.

    Example:
    >>> seasonal_naive_forecast(np.arange(8.0)[:, None], [3], 3, season_length=2)[0, :, 0].tolist()
    [2.0, 3.0, 2.0]
    """
    values = np.asarray(values, dtype="float64")
    steps = np.arange(1, horizon + 1)
    lags = season_length * np.ceil(steps / season_length).astype(int) - steps
    rows = np.asarray(origins)[:, None] - lags[None, :]
    if (rows < 0).any():
        raise DataError(
            f"Seasonal naive needs a full season ({season_length} rows) before each origin; "
            "start the backtest later or set a shorter `season_length`."
        )
    return values[rows]
