"""Point-forecast error metrics in original units, and the scale MASE divides by."""

from __future__ import annotations

import numpy as np

METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")


def mae(actual, forecast):
    """Mean absolute error.

    Example:
    >>> mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))))


def rmse(actual, forecast):
    """Root mean squared error.

    Example:
    >>> rmse([0.0, 0.0], [3.0, 4.0]) == (12.5) ** 0.5
    True
    """
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(forecast)) ** 2)))


def mape(actual, forecast):
    """Mean absolute percentage error, in percent, over the points where `actual` is not 0.

    Example:
    >>> mape([100.0, 200.0, 0.0], [110.0, 180.0, 5.0])
    10.0
    """
    actual, forecast = np.asarray(actual, dtype="float64"), np.asarray(forecast, dtype="float64")
    nonzero = actual != 0
    if not nonzero.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs((actual[nonzero] - forecast[nonzero]) / actual[nonzero])))


def smape(actual, forecast):
    """Symmetric MAPE in percent (0-200): mean of 2|a - f| / (|a| + |f|), 0 where both are 0.

    Example:
    >>> smape([100.0, 0.0], [300.0, 0.0])
    50.0
    """
    actual, forecast = np.asarray(actual, dtype="float64"), np.asarray(forecast, dtype="float64")
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2.0 * np.abs(actual - forecast), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return float(100.0 * np.mean(ratio))


def seasonal_naive_scale(history, season_length=1):
    """In-sample MAE of the seasonal-naive forecast y[t] = y[t - m]: MASE's denominator.

    Falls back to m = 1 when the history is shorter than two seasons.

    Example:
    >>> seasonal_naive_scale([1.0, 2.0, 4.0, 7.0])
    2.0
    """
    history = np.asarray(history, dtype="float64")
    if len(history) <= 2 * season_length:
        season_length = 1
    if len(history) < 2:
        return float("nan")
    return mae(history[season_length:], history[:-season_length])


def mase(actual, forecast, scale):
    """Mean absolute scaled error: MAE divided by `scale` (see `seasonal_naive_scale`).

    Example:
    >>> mase([1.0, 2.0], [2.0, 4.0], scale=3.0)
    0.5
    """
    return mae(actual, forecast) / scale if scale > 0 else float("nan")


def point_metrics(actual, forecast, scale):
    """All of `METRICS` for one set of forecasts, as a dict.

    Example:
    >>> point_metrics([1.0, 2.0], [1.0, 3.0], scale=1.0)["MASE"]
    0.5
    """
    return {
        "MAE": mae(actual, forecast),
        "RMSE": rmse(actual, forecast),
        "MAPE": mape(actual, forecast),
        "sMAPE": smape(actual, forecast),
        "MASE": mase(actual, forecast, scale),
    }
