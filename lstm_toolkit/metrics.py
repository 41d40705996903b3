"""Error metrics: point forecasts in original units (and the scale MASE divides by), and anomaly scores against labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from lstm_toolkit.errors import DataError

METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")


def paired(actual, forecast):
    """`actual` and `forecast` as float arrays of one shape, never broadcast against each other.

    A trailing axis of length 1 on either (a one-column frame beside a Series) is dropped, as scikit-learn's
    metrics take a column and a vector alike; any other difference of shape raises a DataError.

    Example:
    >>> [a.shape for a in paired([1.0, 2.0], [[1.5], [2.5]])]
    [(2,), (2,)]
    >>> paired([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: `actual` has shape (3,) and `forecast` (1, 3): give one forecast per actual value...
    """
    actual, forecast = np.asarray(actual, dtype="float64"), np.asarray(forecast, dtype="float64")
    if actual.shape != forecast.shape:
        one, other = (a[..., 0] if a.ndim > 1 and a.shape[-1] == 1 else a for a in (actual, forecast))
        if one.shape != other.shape:
            raise DataError(f"`actual` has shape {actual.shape} and `forecast` {forecast.shape}: give one forecast per "
                            "actual value, in the same layout (they are not broadcast against each other).")
        actual, forecast = one, other
    return actual, forecast


def mae(actual, forecast):
    """Mean absolute error.

    Example:
    >>> mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    actual, forecast = paired(actual, forecast)
    return float(np.mean(np.abs(actual - forecast)))


def rmse(actual, forecast):
    """Root mean squared error.

    Example:
    >>> rmse([0.0, 0.0], [3.0, 4.0]) == (12.5) ** 0.5
    True
    """
    actual, forecast = paired(actual, forecast)
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def mape(actual, forecast):
    """Mean absolute percentage error, in percent, over the points where `actual` is not 0.

    Example:
    >>> mape([100.0, 200.0, 0.0], [110.0, 180.0, 5.0])
    10.0
    """
    actual, forecast = paired(actual, forecast)
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
    actual, forecast = paired(actual, forecast)
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


def binary_labels(labels):
    """`labels` as a flat int array of 0 (normal) and 1 (anomaly); a DataError names missing or other labels.

    Numbers, booleans and the text "0"/"1" of a CSV are read; a label of 0.5 is refused, not truncated to 0.

    Example:
    >>> binary_labels([0, 1.0, True, "1"]).tolist()
    [0, 1, 1, 1]
    >>> binary_labels([0, float("nan"), 1])
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: 1 label(s) are missing (NaN), the first at step 1: label every step 0 (normal) or 1 (anomaly), or score only the labelled steps.
    """
    values = np.asarray(labels, dtype=object).ravel()
    missing = np.flatnonzero(pd.isna(values))
    if len(missing):
        raise DataError(f"{len(missing)} label(s) are missing (NaN), the first at step {missing[0]}: label every step "
                        "0 (normal) or 1 (anomaly), or score only the labelled steps.")
    try:
        distinct = pd.unique(values)  # each label value once: a long signal holds two
    except TypeError:  # an unhashable label (a list)
        distinct = values
    others = sorted({str(value) for value in distinct if not _binary(value)})
    if others:
        raise DataError(f"Labels must be 0 (normal) or 1 (anomaly); got {', '.join(others[:5])}"
                        f"{' ...' if len(others) > 5 else ''}.")
    return values.astype("float64").astype(int)


def _binary(value):
    try:
        return float(value) in (0.0, 1.0)
    except (TypeError, ValueError):
        return False


def anomaly_metrics(labels, scores):
    """ROC-AUC, PR-AUC (average precision) and the best F1 over all thresholds, on points with a score.

    Example:
    >>> m = anomaly_metrics([0, 0, 1, 0], [0.1, 0.2, 0.9, 0.3])
    >>> m["roc_auc"], m["best_f1"]
    (1.0, 1.0)
    """
    labels = binary_labels(labels)
    scores = np.asarray(scores, dtype="float64").ravel()
    if len(labels) != len(scores):
        raise DataError(f"{len(labels)} labels for {len(scores)} scores; give one label per step.")
    scored = np.isfinite(scores)
    labels, scores = labels[scored], scores[scored]
    if labels.min() == labels.max():
        raise DataError("The labels hold one class only over the scored steps; ROC-AUC needs both normal and anomalous steps.")
    precision, recall, _ = precision_recall_curve(labels, scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
        "best_f1": float(f1.max()),
        "n_scored": int(len(scores)),
    }
