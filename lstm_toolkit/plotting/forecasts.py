"""Figures of forecasts: a forecast after its history, a fan of intervals, and a backtest's forecasts and errors."""

from __future__ import annotations

import pandas as pd

from lstm_toolkit.errors import DataError
from lstm_toolkit.plotting.common import array_of, axes_of, drawable, frame_of, rows_shown


def forecast_frames(history, forecast, actual, target):
    """`(history, forecast, actual, target)` for a forecast plot: each a DataFrame holding `target` (default: the
    forecast's first column), or a DataError naming what to pass."""
    history = frame_of(history, "history", "the DataFrame `predict` read")
    forecast = frame_of(forecast, "forecast", "the DataFrame `predict` returned")
    actual = None if actual is None else frame_of(actual, "actual", "a DataFrame of the true future values")
    target = forecast.columns[0] if target is None else target
    for name, frame in (("forecast", forecast), ("history", history), ("actual", actual)):
        if frame is not None and target not in frame.columns:
            raise DataError(f"Column {target!r} is not in the {name} (columns {list(frame.columns)}). Pass the "
                            "frames `predict` read and returned, or name the column with `target=`.")
    return history, forecast, actual, target


def backtest_rows(results, target, columns, step=None):
    """`(rows, target)`: the rows of a backtest's `results` for `target` (default: the first), and for `step` where
    given; a DataError names the targets or steps the results hold where none match."""
    results = frame_of(results, "results", "the DataFrame `backtest` returns", columns)
    targets = list(pd.unique(results["target"]))
    target = targets[0] if target is None and targets else target
    if target not in targets:
        raise DataError(f"The backtest holds no forecasts of target {target!r}; its targets are {targets}.")
    rows = results[results["target"] == target]
    if step is not None and not (rows["step"] == step).any():
        raise DataError(f"The backtest holds no forecasts {step!r} step(s) ahead; its steps are "
                        f"{sorted(pd.unique(rows['step']).tolist())}.")
    return (rows if step is None else rows[rows["step"] == step]), target


def plot_forecast(history, forecast, actual=None, target=None, last=None, ax=None):
    """Forecast vs actual, with the history before it.

    Args:
        history: DataFrame of past observations (the input to `predict`).
        forecast: DataFrame from `Forecaster.predict`.
        actual: optional DataFrame with the true future values.
        target: column to plot (default: the first forecast column).
        last: how many history rows to show (default: 3 x the horizon, at least 48).
        ax: a matplotlib Axes to draw on; a new Figure when None.

    Returns:
        The matplotlib Figure (save it with `figure.savefig("forecast.png")`).

    Example:
    >>> index = pd.date_range("2024-01-01", periods=10, freq="D")
    >>> history = pd.DataFrame({"y": range(8)}, index=index[:8])
    >>> forecast = pd.DataFrame({"y": [8.0, 9.0]}, index=index[8:])
    >>> plot_forecast(history, forecast).axes[0].get_title()
    'Forecast of y'
    """
    history, forecast, actual, target = forecast_frames(history, forecast, actual, target)
    last = rows_shown(last, len(forecast))
    history, forecast, actual = (drawable(frame) for frame in (history, forecast, actual))
    figure, ax = axes_of(ax, (10, 4))
    past = history[target].iloc[-last:]
    ax.plot(past.index, past.to_numpy(), color="0.3", label="history")
    ax.plot(forecast.index, forecast[target].to_numpy(), color="tab:blue", marker=".", label="forecast")
    if actual is not None:
        truth = actual[target].reindex(forecast.index)
        ax.plot(truth.index, truth.to_numpy(), color="tab:orange", marker=".", label="actual")
    ax.axvline(past.index[-1], color="0.6", linestyle=":")
    ax.set_title(f"Forecast of {target}")
    ax.legend()
    return figure


def plot_fan(history, forecast, target=None, samples=None, last=None, ax=None):
    """A fan chart: history, the median forecast, shaded central intervals and optional sample paths.

    Args:
        history: the DataFrame given to `predict`.
        forecast: a probabilistic `Forecaster.predict` frame (columns `target`
            and `target_q{level}`); each pair of levels symmetric about 0.5 is
            one shaded band.
        target: the column to plot (default: the first).
        samples: optional `(n, horizon, n_targets)` paths from `predict(..., num_samples=n)`.
        last: history rows to show (default: 3 x the horizon, at least 48).

    Example:
    >>> index = pd.date_range("2024-01-01", periods=6, freq="D")
    >>> forecast = pd.DataFrame({"y": [3.0, 3.0], "y_q0.1": [2.0, 1.5], "y_q0.9": [4.0, 4.5]}, index=index[4:])
    >>> len(plot_fan(pd.DataFrame({"y": range(4)}, index=index[:4]), forecast).axes[0].collections)
    1
    """
    history, forecast, _, target = forecast_frames(history, forecast, None, target)
    prefix = f"{target}_q"
    levels = sorted(float(c[len(prefix):]) for c in forecast.columns if c.startswith(prefix))
    last = rows_shown(last, len(forecast))
    # samples have one channel per target: the columns that are not quantiles
    targets = [c for c in forecast.columns if not any(c.startswith(f"{t}_q") for t in forecast.columns)]
    if samples is not None:
        samples = array_of(samples, "samples", 3, "(n, horizon, n_targets), as `predict(..., num_samples=n)` returns")
        if samples.shape[1:] != (len(forecast), len(targets)):
            raise DataError(f"`samples` has shape {samples.shape}; the forecast's paths are (n, {len(forecast)}, "
                            f"{len(targets)}): pass those `predict(..., num_samples=n)` gave with it.")
    history, forecast = drawable(history), drawable(forecast)
    figure, ax = axes_of(ax, (10, 4))
    past = history[target].iloc[-last:]
    ax.plot(past.index, past.to_numpy(), color="0.3", label="history")
    pairs = [(low, high) for low in levels for high in levels if low < 0.5 and abs(low + high - 1) < 1e-9]
    for number, (low, high) in enumerate(pairs):  # widest first, drawn lightest
        ax.fill_between(forecast.index, forecast[f"{prefix}{low:g}"], forecast[f"{prefix}{high:g}"],
                        color="tab:blue", alpha=0.15 + 0.15 * number, linewidth=0,
                        label=f"{round((high - low) * 100)}% interval")
    if samples is not None:
        for path in samples[:, :, targets.index(target)]:
            ax.plot(forecast.index, path, color="tab:blue", alpha=0.35, linewidth=0.6)
    ax.plot(forecast.index, forecast[target].to_numpy(), color="tab:blue", marker=".", label="median")
    ax.axvline(past.index[-1], color="0.6", linestyle=":")
    ax.set_title(f"Forecast of {target} with intervals")
    ax.legend(loc="upper left")
    return figure


def plot_backtest(results, target=None, step=1, ax=None):
    """Backtest forecasts of one step ahead (or `step` ahead) against the actual values.

    Args:
        results: the DataFrame from `Forecaster.backtest`.
        target: which target (default: the first).
        step: which forecast step to show.

    Example:
    >>> results = pd.DataFrame({"origin": [0, 1], "timestamp": [1, 2], "step": [1, 1], "target": ["y", "y"],
    ...                         "forecast": [1.0, 2.0], "actual": [1.5, 2.5], "naive": [0.0, 1.0],
    ...                         "seasonal_naive": [0.0, 1.0]})
    >>> len(plot_backtest(results).axes[0].lines)
    3
    """
    rows, target = backtest_rows(results, target, ("timestamp", "step", "target", "forecast", "actual",
                                                   "seasonal_naive"), step)  # the columns drawn
    rows = drawable(rows)
    figure, ax = axes_of(ax, (10, 4))
    ax.plot(rows["timestamp"], rows["actual"], color="tab:orange", label="actual")
    ax.plot(rows["timestamp"], rows["forecast"], color="tab:blue", label="model")
    ax.plot(rows["timestamp"], rows["seasonal_naive"], color="0.6", linestyle="--", label="seasonal naive")
    ax.set_title(f"Backtest of {target}, {step} step(s) ahead")
    ax.legend()
    return figure


def plot_errors_by_step(results, target=None, ax=None):
    """Mean absolute error by forecast step for the model and both naive baselines.

    Example:
    >>> results = pd.DataFrame({"step": [1, 2], "target": ["y", "y"], "forecast": [1.0, 2.0],
    ...                         "actual": [1.5, 2.5], "naive": [0.0, 1.0], "seasonal_naive": [0.0, 1.0]})
    >>> plot_errors_by_step(results).axes[0].get_xlabel()
    'forecast step'
    """
    rows, target = backtest_rows(results, target, ("step", "target", "forecast", "actual", "naive", "seasonal_naive"))
    errors = pd.DataFrame(
        {
            name: (rows[column] - rows["actual"]).abs().groupby(rows["step"]).mean()
            for name, column in (("model", "forecast"), ("naive", "naive"), ("seasonal naive", "seasonal_naive"))
        }
    )
    figure, ax = axes_of(ax, (8, 4))
    for name in errors.columns:
        ax.plot(errors.index, errors[name], marker="o", label=name)
    ax.set_xlabel("forecast step")
    ax.set_ylabel(f"MAE ({target})")
    ax.set_title("Backtest error by forecast step")
    ax.legend()
    return figure
