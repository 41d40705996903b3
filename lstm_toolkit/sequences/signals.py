"""A signal for anomaly detection: reading one, its main cycle, smoothing per-step scores, and two baselines.

`as_signal` turns a DataFrame, Series or array into a checked `(time,
channels)` array; `dominant_period` finds its main cycle (the default width
of `smooth_scores`); `rolling_zscore_scores` and `isolation_forest_scores`
are the baseline detectors every `AnomalyDetector` is compared with
(`AnomalyDetector.evaluate`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from lstm_toolkit.data.frame import check_time_order, first_non_finite
from lstm_toolkit.errors import DataError


def array_columns(n):
    """The names `as_signal` gives the `n` columns of an array: x0, x1, ..."""
    return [f"x{k}" for k in range(n)]


def as_signal(data):
    """A checked float64 `(time, channels)` array and its column names, from a DataFrame, Series or array. The
    steps of pandas data indexed by time (timestamps or integers) must be in order, each once."""
    if isinstance(data, (pd.DataFrame, pd.Series)) and (isinstance(data.index, pd.DatetimeIndex)
                                                         or pd.api.types.is_integer_dtype(data.index)):
        check_time_order(data.index)
    if isinstance(data, pd.DataFrame):
        numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
        dropped = [c for c in data.columns if c not in numeric]
        if dropped:
            raise DataError(f"Column(s) {dropped} are not numeric. Pass only the signal's columns, e.g. df[['data']].")
        values, columns = data.to_numpy(dtype="float64"), [str(c) for c in data.columns]
    elif isinstance(data, pd.Series):
        values, columns = data.to_numpy(dtype="float64")[:, None], [str(data.name or "value")]
    else:
        try:
            values = np.asarray(data, dtype="float64")
        except (TypeError, ValueError):
            raise DataError("The signal must be numeric.") from None
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise DataError(f"The signal must be 1-D (time,) or 2-D (time, channels); got shape {values.shape}.")
        columns = array_columns(values.shape[1])
    if values.shape[1] == 0:
        raise DataError("The signal has no columns.")
    missing = first_non_finite(values)
    if missing:
        count, (row, column) = missing
        raise DataError(
            f"The signal has {count} NaN/inf value(s), the first at row {row} of {columns[column]!r}. "
            "Fill them first (e.g. DataFrame.interpolate)."
        )
    return values, columns


def aligned_labels(data, labels):
    """`labels` as a flat array in the rows' order. Labels of pandas beside a frame of as many rows must share
    its index: one sorted or cut otherwise would be paired with the wrong steps."""
    if isinstance(labels, (pd.Series, pd.DataFrame)):
        if isinstance(data, (pd.Series, pd.DataFrame)) and len(labels) == len(data) and not labels.index.equals(data.index):
            raise DataError("The labels' index is not the data's, so labels and steps would be paired by position, "
                            "not by time. Align them (labels.reindex(data.index)), or pass labels.to_numpy().")
        labels = labels.to_numpy()
    return np.asarray(labels).ravel()


def dominant_period(values, max_lag=1000, min_correlation=0.2):
    """The lag (>= 2) of the highest peak of the signal's autocorrelation: its main cycle, or 1.

    Averaged over channels. Returns 1 when no peak correlates above `min_correlation`.

    Example:
    >>> t = np.arange(600)
    >>> dominant_period(np.sin(2 * np.pi * t / 24)[:, None])
    24
    """
    values = np.asarray(values, dtype="float64")
    values = values - values.mean(axis=0)
    n = len(values)
    max_lag = min(max_lag, n // 3)
    if max_lag < 2:
        return 1
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(values, size, axis=0)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=0)[: max_lag + 1].mean(axis=1)
    if acf[0] <= 0:
        return 1
    acf = acf / acf[0]
    peaks = [lag for lag in range(2, max_lag) if acf[lag] >= acf[lag - 1] and acf[lag] >= acf[lag + 1]]
    if not peaks:
        return 1
    best = max(peaks, key=lambda lag: acf[lag])
    return int(best) if acf[best] >= min_correlation else 1


def smooth_scores(scores, width):
    """Centered rolling mean of `scores` over `width` steps (NaN-aware); width 1 returns them unchanged."""
    if width <= 1:
        return np.asarray(scores, dtype="float64")
    return pd.Series(scores).rolling(int(width), center=True, min_periods=1).mean().to_numpy()


def windows_to_points(window_values, n, window):
    """Spreads `(n_windows, window)` values back to `n` points: each point's mean over the windows covering it."""
    totals, counts = np.zeros(n), np.zeros(n)
    for offset in range(window):
        totals[offset : offset + len(window_values)] += window_values[:, offset]
        counts[offset : offset + len(window_values)] += 1
    with np.errstate(invalid="ignore"):
        return totals / counts


def rolling_zscore_scores(values, window=64):
    """Baseline: |z-score| of the first differences against their trailing `window`-step mean and spread.

    The maximum over channels; the first `window` points score 0.
    """
    values, _ = as_signal(values)
    diffs = pd.DataFrame(np.diff(values, axis=0, prepend=values[:1]))
    rolling = diffs.rolling(window, min_periods=window)
    mean, spread = rolling.mean().shift(1), rolling.std().shift(1)
    z = ((diffs - mean) / spread.replace(0.0, np.nan)).abs()
    return z.max(axis=1).fillna(0.0).to_numpy()


def isolation_forest_scores(values, window=64, seed=0):
    """Baseline: scikit-learn's IsolationForest on sliding windows (standardised), mapped back to points."""
    values, _ = as_signal(values)
    values = (values - values.mean(axis=0)) / np.where(values.std(axis=0) > 0, values.std(axis=0), 1.0)
    window = min(window, len(values))
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0).reshape(len(values) - window + 1, -1)
    forest = IsolationForest(random_state=seed).fit(windows)
    per_window = -forest.score_samples(windows)
    return windows_to_points(np.repeat(per_window[:, None], window, axis=1), len(values), window)
