"""Rolling-origin backtests and their scores, written once for every forecaster (point or probabilistic).

The functions here take the series, the fitted settings they need and a
`forecast(series, origins, future_times)` callable that returns forecasts in
original units; they know nothing else of the estimator. `Forecaster.backtest`
and `Forecaster.evaluate` are thin wrappers around them.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings

import numpy as np
import pandas as pd

from lstm_toolkit import metrics
from lstm_toolkit.data import TimeForm, naive_timestamp
from lstm_toolkit.errors import DataError, LeakageWarning, check_integer, user_stacklevel
from lstm_toolkit.forecasting import probabilistic
from lstm_toolkit.forecasting.baselines import naive_forecast, seasonal_naive_forecast
from lstm_toolkit.models import reference_forecast

PROBABILISTIC_COLUMNS = ("CRPS", "coverage_80", "width_80", "coverage_95", "width_95")
BASELINES = ("naive", "seasonal_naive")


@dataclasses.dataclass(frozen=True)
class OutputForm:
    """How to read a probabilistic forecaster's forecast arrays.

    Args:
        loss: the loss the model was trained with ("quantile", "gaussian", "student_t").
        levels: the quantile levels its forecasts report (the Forecaster's `quantiles`).
        array_loss, array_levels: how the arrays are parameterised: the model's
            own distribution parameters, or (a recursive model's sampled paths)
            quantiles at `array_levels`, read as a "quantile" forecast.
        floor: each target's lower bound in original units (`ForecastProblem.target_floor`), or None: the
            median and quantiles are raised to it (the distribution censored there). The forecaster sets it
            per series (`BaseForecaster._output_form`).

    Example:
    >>> form = OutputForm("quantile", (0.1, 0.5, 0.9), "quantile", (0.1, 0.5, 0.9))
    >>> form.point(np.array([[[1.0, 2.0, 3.0]]])).tolist()
    [[2.0]]
    """

    loss: str
    levels: tuple
    array_loss: str
    array_levels: tuple
    floor: tuple | None = None

    def point(self, arrays):
        """The point forecast (median) of forecast arrays `(..., n_targets)`."""
        point = probabilistic.point_of(arrays, self.array_loss, self.array_levels)
        return point if self.floor is None else np.maximum(point, np.asarray(self.floor))

    def quantiles(self, arrays, levels=None):
        """Quantiles `(..., n_targets, len(levels))` of forecast arrays at `levels` (default: the reported levels)."""
        quantiles = probabilistic.quantiles_of(arrays, self.array_loss, self.levels if levels is None else levels,
                                               self.array_levels)
        return quantiles if self.floor is None else np.maximum(quantiles, np.asarray(self.floor)[:, None])


def first_forecast_row(index, start, fit_end, labels=TimeForm()):
    """The first row a backtest forecasts: after the training data (`fit_end`), or as `start` says.

    `start` is None (the first row after `fit_end`), a fraction of the rows,
    a row number (a negative one counts from the end, as `iloc` does) or a
    timestamp. `labels`: how the user's times look (`data.TimeForm`), for the
    messages.

    >>> index = pd.RangeIndex(100)
    >>> first_forecast_row(index, 90, None), first_forecast_row(index, -10, None), first_forecast_row(index, 0.9, None)
    (90, 90, 90)
    """
    if start is None:
        if not comparable(index, fit_end):
            held, given = (("timestamps", "a row index") if isinstance(fit_end, pd.Timestamp)
                           else ("a row index", "timestamps"))
            raise DataError(
                f"The model was trained on data indexed by {held} (its training data ends at "
                f"{labels.label(fit_end)}), and this data has {given}, so its rows cannot be placed after the "
                "training data. Pass the data as it was given to `fit` (the same `time_col` or DatetimeIndex), or an "
                "explicit `start=`."
            )
        first = int(index.searchsorted(fit_end, side="right"))
        if first >= len(index):
            raise DataError(
                f"The data has no rows after the training data (which ends at {labels.label(fit_end)}), so "
                "there is nothing out-of-sample to backtest. Pass data that goes on past the "
                "training period, or an explicit `start=` (`--start` on the command line; an in-sample backtest "
                "is optimistic)."
            )
        return first
    if isinstance(start, (bool, np.bool_)):  # True is the integer 1: a backtest from the second row, in-sample
        raise DataError(f"`start` must be a timestamp, a row number or a fraction of the rows in (0, 1). Received: start={start}")
    if isinstance(start, numbers.Real) and not isinstance(start, numbers.Integral):
        if not 0.0 < start < 1.0:
            raise DataError(f"`start` as a fraction must lie in (0, 1). Received: start={start}")
        return int(round(len(index) * start))
    if isinstance(start, numbers.Integral):
        row = int(start) + (len(index) if start < 0 else 0)
        if row < 0:  # before, a negative row number started the backtest at the first window, in-sample
            raise DataError(
                f"start={start} counts back past the first row: the data has {len(index)} rows. Give a row number from "
                f"-{len(index)} (a negative one counts from the end, as `iloc` does), a fraction or a timestamp."
            )
        if row >= len(index) and not isinstance(index, pd.DatetimeIndex) and start in index:  # a year, say
            raise DataError(
                f"start={start} counts rows, as `iloc` does, and the data has {len(index)}. {start} is a label of its "
                f"index, at row {index.get_loc(start)}: give start={index.get_loc(start)}."
            )
        return row
    try:
        timestamp = naive_timestamp(start, index)  # a zoned timestamp on the index's clock (see `data.clock`)
    except (ValueError, TypeError):
        raise DataError(f"`start` must be a timestamp, a row number or a fraction of the rows in (0, 1). "
                        f"Received: start={start!r}") from None
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"`start={start!r}` is a timestamp, but this data has a row index: give a row number or a "
                        "fraction, or pass the data with its timestamps (`time_col` or a DatetimeIndex).")
    return int(index.searchsorted(timestamp, side="left"))


def comparable(index, label):
    """Whether a row label (a timestamp or a row number) can be compared with `index`."""
    return isinstance(index, pd.DatetimeIndex) == isinstance(label, pd.Timestamp)


def actual_targets(series, targets):
    """The targets of a `WindowedSeries` in original units, `(rows, n_targets)`."""
    return series.raw[:, [series.spec.data_columns.index(t) for t in targets]]


def backtest_arrays(series, start, stride, *, horizon, lookback, fit_end, season_length, targets, forecast,
                    labels=TimeForm()):
    """Backtest forecasts in original units as arrays: origins, forecast (or parameters), actual, baselines.

    Args:
        series: the `WindowedSeries` to backtest, history included.
        start, stride: as for `Forecaster.backtest`.
        horizon, lookback, fit_end, season_length, targets: the forecaster's fitted settings.
        forecast: `forecast(series, origins, future_times)`, the forecasts at
            those origin rows in original units (or distribution parameters).
        labels: how the user's times look (`data.TimeForm`), for the messages.

    Returns:
        A dict of first (row), origins, future_times, forecast, actual, naive, seasonal_naive.
    """
    stride = check_integer(stride, "stride")
    index = series.index
    first = max(first_forecast_row(index, start, fit_end, labels), lookback)
    origins = np.arange(first - 1, len(index) - horizon, stride)
    if len(origins) == 0:
        raise DataError(
            f"No origin has {horizon} actual values after it from row {first} on: the data "
            f"has {len(index)} rows. Start earlier or give more data."
        )
    if comparable(index, fit_end) and index[first] <= fit_end:
        warnings.warn(
            f"The backtest starts at {labels.label(index[first])}, inside the training data (which ends at "
            f"{labels.label(fit_end)}): its errors are in-sample and optimistic.",
            LeakageWarning,
            stacklevel=user_stacklevel(),  # the caller of Forecaster.backtest / evaluate
        )
    future_rows = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    future_times = np.asarray(index)[future_rows]
    actual = actual_targets(series, targets)
    return {
        "first": int(first),
        "origins": origins,
        "future_times": future_times,
        "forecast": forecast(series, origins, future_times),
        "actual": actual[future_rows],
        "naive": naive_forecast(actual, origins, horizon),
        "seasonal_naive": seasonal_naive_forecast(actual, origins, horizon, season_length),
    }


def forecast_frame(forecast, index, targets, output_form=None):
    """One origin's forecasts `(horizon, n_targets)` as `predict` returns them: a column per target.

    A probabilistic forecast gives the median per target, then one column per
    quantile level, `{target}_q{level}` (a backtest names them `forecast_q{level}`).
    """
    targets = list(targets)
    if output_form is None:
        return pd.DataFrame(forecast, index=index, columns=targets)
    frame = pd.DataFrame(output_form.point(forecast), index=index, columns=targets)
    quantiles = output_form.quantiles(forecast)
    for position, target in enumerate(targets):
        for k, level in enumerate(output_form.levels):
            frame[f"{target}_q{level:g}"] = quantiles[:, position, k]
    return frame


def backtest_frame(series, arrays, *, horizon, targets, output_form=None):
    """The tidy backtest frame of `backtest_arrays`: one row per origin, step and target.

    Columns origin, timestamp, step, target, forecast, actual, naive,
    seasonal_naive; with an `output_form` (a probabilistic model) the
    forecast is the median and its quantiles follow as `forecast_q{level}`,
    as `predict` names a target's `{target}_q{level}`.
    """
    forecast, steps, n_targets = arrays["forecast"], np.arange(1, horizon + 1), len(targets)
    columns = {"forecast": forecast}
    if output_form is not None:
        columns["forecast"] = output_form.point(forecast)
        quantiles = output_form.quantiles(forecast)
        columns.update({f"forecast_q{level:g}": quantiles[..., k] for k, level in enumerate(output_form.levels)})
    columns.update({name: arrays[name] for name in ("actual", *BASELINES)})
    origins = arrays["origins"]
    frame = pd.DataFrame(
        {
            "origin": np.repeat(np.asarray(series.index)[origins], horizon * n_targets),
            "timestamp": np.repeat(arrays["future_times"].ravel(), n_targets),
            "step": np.tile(np.repeat(steps, n_targets), len(origins)),
            "target": np.tile(np.asarray(targets, dtype=object), len(origins) * horizon),
            **{name: values.ravel() for name, values in columns.items()},
        }
    )
    frame.attrs["first_forecast_row"] = arrays["first"]
    return frame


def evaluate_rows(series, arrays, *, horizon, targets, season_length, output_form=None):
    """Backtest metrics of the model and the baselines on the same forecasts: `{(target, method): {metric: value}}`.

    Read from the backtest arrays, with no frame built: a panel of 10,000 series is scored in seconds.
    `metrics_table` makes the table `Forecaster.evaluate` returns.
    """
    forecast = arrays["forecast"] if output_form is None else output_form.point(arrays["forecast"])
    history = actual_targets(series, targets)[: arrays["first"]]
    rows = {}
    for position, target in enumerate(targets):
        scale = metrics.seasonal_naive_scale(history[:, position], season_length)
        actual = arrays["actual"][..., position].ravel()  # by origin, then step: the backtest frame's order
        for method, values in (("model", forecast), *((name, arrays[name]) for name in BASELINES)):
            rows[(target, method)] = metrics.point_metrics(actual, values[..., position].ravel(), scale)
    if output_form is not None:
        scores = probabilistic_rows(arrays, history, horizon=horizon, targets=targets, season_length=season_length,
                                    output_form=output_form)
        for key, values in scores.items():
            rows[key].update(values)
    return rows


def metric_columns(output_form=None):
    """The columns of an evaluation table: the point metrics, then a probabilistic model's scores."""
    columns = list(metrics.METRICS)
    if output_form is not None:
        columns += list(PROBABILISTIC_COLUMNS) + [f"pinball_q{level:g}" for level in output_form.levels]
    return columns


def metrics_table(rows_by_series, columns, *, by_target=False, by_series=False, series_name=None):
    """The table of `Forecaster.evaluate` from `evaluate_rows` of each series (`{key: rows}`), built once.

    One series (`series_name` None, the key None): rows by method (by (target, method) when
    `by_target`). Many: the same with the series id (`series_name`) first when `by_series`,
    else the mean over series.
    """
    if series_name is None:
        rows, names = rows_by_series[None], ["target", "method"]
    else:
        rows = {(key, *index): values for key, part in rows_by_series.items() for index, values in part.items()}
        names = [series_name, "target", "method"]
    table = pd.DataFrame.from_dict(rows, orient="index")[columns]
    table.index = pd.MultiIndex.from_tuples(table.index, names=names)
    if not by_target:  # the mean over targets
        table = table.groupby(level=[name for name in names if name != "target"], sort=False).mean()
    if series_name is None or by_series:
        return table
    return table.groupby(level=list(range(1, table.index.nlevels)), sort=False).mean()


def probabilistic_rows(arrays, history, *, horizon, targets, season_length, output_form):
    """CRPS and interval scores of the model and of the baselines with in-sample residual intervals.

    The baselines' quantiles are their point forecast plus the quantiles of
    their own residuals by horizon step over the history before the first
    forecast, at the same levels as the model's, so the comparison is fair.
    """
    # One grid of levels for every model and baseline, so CRPS compares across losses; a quantile
    # model's quantiles are interpolated between its own levels (and held flat beyond them).
    levels = tuple(sorted(set(probabilistic.CRPS_LEVELS) | set(output_form.array_levels)))
    quantiles = {"model": output_form.quantiles(arrays["forecast"], levels)}
    origins = np.arange(max(season_length - 1, 0), len(history) - horizon)
    if len(origins) < 2:
        raise DataError("Too little history before the first forecast for the baselines' residual intervals.")
    past = history[origins[:, None] + np.arange(1, horizon + 1)[None, :]]
    for name, baseline in (("naive", naive_forecast), ("seasonal_naive", seasonal_naive_forecast)):
        extra = (season_length,) if name == "seasonal_naive" else ()
        spread = probabilistic.residual_quantiles(past, baseline(history, origins, horizon, *extra), levels)
        quantiles[name] = arrays[name][..., None] + spread[None]
    rows = {}
    for position, target in enumerate(targets):
        for method, values in quantiles.items():
            actual = arrays["actual"][..., position]
            rows[(target, method)] = probabilistic.probabilistic_metrics(actual, values[..., position, :], levels)
            losses = probabilistic.pinball(actual, values[..., position, :], levels)
            rows[(target, method)].update({f"pinball_q{level:g}": losses[levels.index(level)] for level in output_form.levels})
        if output_form.loss == "quantile":  # no interval beyond the levels the model was trained on
            trained = [round(q, 6) for q in output_form.levels]
            for coverage in probabilistic.INTERVALS:
                low, high = round((1 - coverage) / 2, 6), round((1 + coverage) / 2, 6)
                if low not in trained or high not in trained:
                    name = round(coverage * 100)
                    rows[(target, "model")].update({f"coverage_{name}": float("nan"), f"width_{name}": float("nan")})
    return rows


def fit_reference_errors(members, lookback, horizon, season_length, references, max_origins=2000, chunk=20_000):
    """Mean absolute error of each window normalisation's reference forecast over the data given to `fit`, per series.

    The references are the forecasts the network's output is added to
    (`models.reference_forecast`), made from each window of the targets' own
    history whose targets lie in the training or validation part (never a test
    part), at most `max_origins` per series: the smaller the error, the less
    the network has to learn. The validation part counts because it is the
    most recent, and because the refit on all the data chooses on it too: one
    choice, before and after. The windows of many series go through each
    reference together, `chunk` windows at a time: a few calls for a panel of
    10,000 series, not four per series.

    Args:
        references: `(mode, smoothing)` pairs (`models.reference_forecast`'s
            arguments; smoothing None but for "damped").

    Returns:
        One `{(mode, smoothing): MAE}` per series of `members` (`WindowedSeries`), in the targets' scaled
        units, averaged over the targets.
    """
    members = list(members)
    ahead, behind = np.arange(1, horizon + 1)[None, :], np.arange(1 - lookback, 1)[None, :]
    per_series = []
    for series in members:
        targets = series.targets[: series.bounds["validation"][1]]
        origins = np.arange(lookback - 1, len(targets) - horizon)
        per_series.append((targets, origins[:: max(1, len(origins) // max_origins)]))
    sums = {reference: np.zeros(len(members)) for reference in references}
    counts = np.array([len(origins) for _, origins in per_series])
    first = 0
    while first < len(members):  # members whose windows together fit in a chunk (at least one member)
        last = first + max(1, int(np.searchsorted(np.cumsum(counts[first:]), chunk, side="right")))
        owner = np.repeat(np.arange(first, last), counts[first:last])
        windows = np.concatenate([targets[origins[:, None] + behind] for targets, origins in per_series[first:last]])
        actual = np.concatenate([targets[origins[:, None] + ahead] for targets, origins in per_series[first:last]])
        for mode, smoothing in references:
            error = np.abs(actual - np.asarray(reference_forecast(windows, mode, horizon, season_length, smoothing)))
            sums[mode, smoothing] += np.bincount(owner, weights=error.mean(axis=(1, 2)), minlength=len(members))
        first = last
    return [{reference: float(sums[reference][k] / counts[k]) for reference in references} for k in range(len(members))]
