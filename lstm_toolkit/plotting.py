"""Matplotlib figures for forecasts, training history and backtest errors (headless-safe)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lstm_toolkit.errors import DataError


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


def _frame(value, name, what, columns=()):
    """`value` if it is a DataFrame holding `columns`; else a DataError saying it must be `what`."""
    if isinstance(value, pd.DataFrame) and set(columns) <= set(value.columns):
        return value
    got = (f"a DataFrame with columns {list(value.columns)}" if isinstance(value, pd.DataFrame)
           else f"a {type(value).__name__}")
    needs = f" (columns {list(columns)})" if columns else ""
    raise DataError(f"`{name}` must be {what}{needs}; received {got}.")


def _forecast_frames(history, forecast, actual, target):
    """`(history, forecast, actual, target)` for a forecast plot: each a DataFrame holding `target` (default: the
    forecast's first column), or a DataError naming what to pass."""
    history = _frame(history, "history", "the DataFrame `predict` read")
    forecast = _frame(forecast, "forecast", "the DataFrame `predict` returned")
    actual = None if actual is None else _frame(actual, "actual", "a DataFrame of the true future values")
    target = forecast.columns[0] if target is None else target
    for name, frame in (("forecast", forecast), ("history", history), ("actual", actual)):
        if frame is not None and target not in frame.columns:
            raise DataError(f"Column {target!r} is not in the {name} (columns {list(frame.columns)}). Pass the "
                            "frames `predict` read and returned, or name the column with `target=`.")
    return history, forecast, actual, target


def _drawable(frame):
    """`frame` with periods (as `predict` and `backtest` give back for periods) as their start timestamps: matplotlib
    draws timestamps, not periods."""
    if frame is None:
        return None
    if isinstance(frame.index, pd.PeriodIndex):
        frame = frame.to_timestamp()
    periods = {column: frame[column].dt.to_timestamp() for column in frame.columns
               if isinstance(frame[column].dtype, pd.PeriodDtype)}
    return frame.assign(**periods) if periods else frame


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
    history, forecast, actual, target = _forecast_frames(history, forecast, actual, target)
    last = last or max(48, 3 * len(forecast))
    history, forecast, actual = (_drawable(frame) for frame in (history, forecast, actual))
    figure, ax = _axes(ax, (10, 4))
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
    results = _frame(results, "results", "the DataFrame `backtest` returns",
                     ("timestamp", "step", "target", "forecast", "actual", "seasonal_naive"))  # the columns drawn
    target = results["target"].iloc[0] if target is None else target
    rows = _drawable(results[(results["target"] == target) & (results["step"] == step)])
    figure, ax = _axes(ax, (10, 4))
    ax.plot(rows["timestamp"], rows["actual"], color="tab:orange", label="actual")
    ax.plot(rows["timestamp"], rows["forecast"], color="tab:blue", label="model")
    ax.plot(rows["timestamp"], rows["seasonal_naive"], color="0.6", linestyle="--", label="seasonal naive")
    ax.set_title(f"Backtest of {target}, {step} step(s) ahead")
    ax.legend()
    return figure


def plot_history(history, ax=None):
    """Training curves: loss and val_loss, and the learning rate on a second axis.

    Args:
        history: `Forecaster.history_`, a Keras `History`, its `.history` dict, or a fitted estimator.

    Example:
    >>> plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "learning_rate": [1e-3, 5e-4]}).axes[0].get_yscale()
    'log'
    """
    history = getattr(history, "history_", getattr(history, "history", history))  # an estimator, a Keras History
    if not isinstance(history, dict) or "loss" not in history:
        raise DataError(f"No training history to plot in {type(history).__name__}: pass `history_` of a fitted "
                        "estimator, a Keras History or its `.history` dict (with 'loss').")
    figure, ax = _axes(ax, (8, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if key in history:
            ax.plot(epochs, history[key], style, label=key)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled units)")
    if "learning_rate" in history:
        rate_ax = ax.twinx()
        rate_ax.plot(epochs, history["learning_rate"], color="0.6", linestyle=":", label="learning rate")
        rate_ax.set_yscale("log")
        rate_ax.set_ylabel("learning rate")
    ax.legend(loc="upper right")
    ax.set_title("Training history")
    return figure


def plot_errors_by_step(results, target=None, ax=None):
    """Mean absolute error by forecast step for the model and both naive baselines.

    Example:
    >>> results = pd.DataFrame({"step": [1, 2], "target": ["y", "y"], "forecast": [1.0, 2.0],
    ...                         "actual": [1.5, 2.5], "naive": [0.0, 1.0], "seasonal_naive": [0.0, 1.0]})
    >>> plot_errors_by_step(results).axes[0].get_xlabel()
    'forecast step'
    """
    results = _frame(results, "results", "the DataFrame `backtest` returns",
                     ("step", "target", "forecast", "actual", "naive", "seasonal_naive"))
    target = results["target"].iloc[0] if target is None else target
    rows = results[results["target"] == target]
    errors = pd.DataFrame(
        {
            name: (rows[column] - rows["actual"]).abs().groupby(rows["step"]).mean()
            for name, column in (("model", "forecast"), ("naive", "naive"), ("seasonal naive", "seasonal_naive"))
        }
    )
    figure, ax = _axes(ax, (8, 4))
    for name in errors.columns:
        ax.plot(errors.index, errors[name], marker="o", label=name)
    ax.set_xlabel("forecast step")
    ax.set_ylabel(f"MAE ({target})")
    ax.set_title("Backtest error by forecast step")
    ax.legend()
    return figure


def plot_tuning(trials, hyperparameters=None):
    """Search results: score by trial (best so far marked) and score against each hyperparameter.

    Args:
        trials: `TuneResult.trials`.
        hyperparameters: columns to plot against (default: the searched ones present).

    Example:
    >>> trials = pd.DataFrame({"trial_id": ["0", "1"], "status": ["COMPLETED"] * 2, "score": [0.2, 0.1],
    ...                        "units_1": [32, 64], "dropout": [0.0, 0.2]})
    >>> len(plot_tuning(trials).axes)
    3
    """
    done = trials[trials["status"] == "COMPLETED"]
    if hyperparameters is None:
        hyperparameters = [c for c in ("depth", "units_1", "units_2", "dropout", "learning_rate", "cell", "bidirectional")
                           if c in done.columns and done[c].nunique(dropna=True) > 0]
    figure = Figure(figsize=(4 * (1 + len(hyperparameters)), 3.5), layout="constrained")
    axes = figure.subplots(1, 1 + len(hyperparameters), squeeze=False)[0]
    order = np.arange(len(done))
    axes[0].plot(order, done["score"], "o", label="trial")
    axes[0].plot(order, done["score"].cummin(), "-", color="0.4", label="best so far")
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel("objective")
    axes[0].legend()
    for ax, name in zip(axes[1:], hyperparameters):
        values = done[name]
        positions = values.astype(str) if values.dtype == object or values.dtype == bool else values
        ax.plot(positions, done["score"], "o")
        ax.set_xlabel(name)
        if name == "learning_rate":
            ax.set_xscale("log")
    figure.suptitle("Hyperparameter search")
    return figure


def _top_units(gates, units):
    """The `units` units whose hidden state varies most over time (all when fewer)."""
    spread = gates["hidden"].std(axis=(0, 1))
    return np.sort(np.argsort(spread)[::-1][:units])


def plot_gates(gates, sample=0, units=16):
    """Heatmaps of the forget, input, candidate and output gates over time, for the busiest units.

    Args:
        gates: the result of `gates.lstm_gates`.
        sample: which window of the batch.
        units: how many units (those whose hidden state varies most).

    Example:
    >>> from lstm_toolkit.gates import lstm_gates
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(4,), window_norm="none"), lookback=6, n_features=1)
    >>> len(plot_gates(lstm_gates(model, np.zeros((1, 6, 1)))).axes)
    8
    """
    chosen = _top_units(gates, units)
    figure = Figure(figsize=(12, 6), layout="constrained")
    axes = figure.subplots(2, 2).ravel()
    for ax, name in zip(axes, ("forget", "input", "candidate", "output")):
        low = -1.0 if name == "candidate" else 0.0
        image = ax.imshow(gates[name][sample][:, chosen].T, aspect="auto", vmin=low, vmax=1.0, cmap="viridis",
                          interpolation="nearest")
        ax.set_title(f"{name} gate")
        ax.set_xlabel("time step in the window")
        ax.set_ylabel("unit")
        ax.set_yticks(range(len(chosen)), [str(u) for u in chosen])
        figure.colorbar(image, ax=ax)
    figure.suptitle(f"Gates of {gates.get('layer', 'the LSTM layer')} (window {sample})")
    return figure


def plot_cell_state(gates, sample=0, units=8, ax=None):
    """The cell-state "highway" c(t) of the busiest units over time: what the layer carries forward.

    Example:
    >>> from lstm_toolkit.gates import lstm_gates
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(4,), window_norm="none"), lookback=6, n_features=1)
    >>> plot_cell_state(lstm_gates(model, np.zeros((1, 6, 1)))).axes[0].get_ylabel()
    'cell state c(t)'
    """
    figure, ax = _axes(ax, (10, 4))
    for unit in _top_units(gates, units):
        ax.plot(gates["cell"][sample][:, unit], label=f"unit {unit}")
    ax.set_xlabel("time step in the window")
    ax.set_ylabel("cell state c(t)")
    ax.set_title(f"Cell state of {gates.get('layer', 'the LSTM layer')} (window {sample})")
    ax.legend(ncol=4, fontsize="small")
    return figure


def plot_forget_per_unit(gates, ax=None):
    """Each unit's mean forget gate, sorted: near 1 remembers long, near 0 forgets at once.

    Example:
    >>> from lstm_toolkit.gates import lstm_gates
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(4,), window_norm="none"), lookback=6, n_features=1)
    >>> len(plot_forget_per_unit(lstm_gates(model, np.zeros((1, 6, 1)))).axes[0].patches)
    4
    """
    forget = gates["forget"].mean(axis=(0, 1))
    order = np.argsort(forget)[::-1]
    figure, ax = _axes(ax, (10, 3.5))
    ax.bar(np.arange(len(forget)), forget[order])
    ax.set_xticks(np.arange(len(forget)), [str(u) for u in order], fontsize="x-small")
    ax.set_ylim(0, 1)
    ax.set_xlabel("unit (sorted)")
    ax.set_ylabel("mean forget gate")
    ax.set_title(f"How long each unit of {gates.get('layer', 'the LSTM layer')} remembers")
    return figure


def plot_attention(weights, sample=0, ax=None):
    """Heatmap of a seq2seq model's attention: forecast step (rows) over input window step (columns).

    Args:
        weights: `gates.attention_weights(model, x)`, `(batch, horizon, lookback)`.
        sample: which window of the batch.

    Example:
    >>> plot_attention(np.full((1, 2, 4), 0.25)).axes[0].get_xlabel()
    'input step (window)'
    """
    figure, ax = _axes(ax, (10, 3.5))
    image = ax.imshow(weights[sample], aspect="auto", cmap="magma", vmin=0.0, interpolation="nearest")
    ax.set_xlabel("input step (window)")
    ax.set_ylabel("forecast step")
    ax.set_yticks(range(weights.shape[1]), [str(step + 1) for step in range(weights.shape[1])])
    ax.set_title("Attention: where each forecast step looks")
    figure.colorbar(image, ax=ax)
    return figure


def plot_frames(inputs, predicted, actual=None, title="Input frames, forecast and truth"):
    """A row of frames: the input window, then the predicted next frame(s), then the true ones.

    Args:
        inputs: `(lookback, height, width, channels)` frames of one window.
        predicted: `(horizon, height, width, channels)` forecast frames.
        actual: the true next frames, same shape as `predicted` (optional).
        title: the figure's title.

    Example:
    >>> frames = np.zeros((3, 8, 8, 1))
    >>> len(plot_frames(frames, frames[:1], frames[:1]).axes)
    5
    """
    panels = [(frame, f"t-{len(inputs) - 1 - t}") for t, frame in enumerate(inputs)]
    panels += [(frame, f"predicted t+{h + 1}") for h, frame in enumerate(predicted)]
    if actual is not None:
        panels += [(frame, f"true t+{h + 1}") for h, frame in enumerate(actual)]
    figure = Figure(figsize=(2 * len(panels), 2.4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for ax, (frame, label) in zip(axes, panels):
        ax.imshow(np.asarray(frame)[..., 0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(label, fontsize="small")
        ax.axis("off")
    figure.suptitle(title)
    return figure


def _shade(ax, mask, color, label):
    """Shades the contiguous runs where `mask` is true."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    for number, (start, end) in enumerate(zip(edges[::2], edges[1::2])):
        ax.axvspan(start - 0.5, end - 0.5, color=color, alpha=0.25, label=label if number == 0 else None)


def plot_anomalies(values, scores, flags=None, labels=None, threshold=None, title="Anomaly scores"):
    """The signal over its anomaly score, with flagged and labelled stretches shaded.

    Args:
        values: the signal, 1-D (or a DataFrame / 2-D array: every column is drawn).
        scores: `AnomalyDetector.score_samples(...)`, one per step.
        flags: `AnomalyDetector.predict(...)` 0/1 flags (shaded red).
        labels: the true 0/1 labels, when known (shaded green).
        threshold: the detector's `threshold_`, drawn on the score panel.

    Example:
    >>> figure = plot_anomalies(np.zeros(20), np.arange(20.0), flags=np.arange(20) > 15,
    ...                         labels=np.arange(20) > 16, threshold=15)
    >>> [ax.get_ylabel() for ax in figure.axes]
    ['value', 'score']
    """
    values = np.asarray(values, dtype="float64")
    figure = Figure(figsize=(12, 5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    top.plot(values, color="0.25", linewidth=0.7)
    bottom.plot(np.asarray(scores, dtype="float64"), color="tab:blue", linewidth=0.8)
    if threshold is not None:
        bottom.axhline(threshold, color="tab:red", linestyle="--", linewidth=0.8, label="threshold")
    for ax in (top, bottom):
        if flags is not None:
            _shade(ax, flags, "tab:red", "flagged")
        if labels is not None:
            _shade(ax, labels, "tab:green", "labelled")
    top.set_ylabel("value")
    bottom.set_ylabel("score")
    bottom.set_xlabel("step")
    top.set_title(title)
    top.legend(loc="upper left")
    return figure


def plot_segments(true, predicted, title="Labels per step"):
    """Two colour bands, true and predicted labels per step of one sequence (a labeller's output).

    Example:
    >>> plot_segments(["a", "a", "b"], ["a", "b", "b"]).axes[0].get_yticklabels()[0].get_text()
    'true'
    """
    true, predicted = np.asarray(true), np.asarray(predicted)
    classes = sorted(set(true.tolist()) | set(predicted.tolist()), key=str)
    codes = {label: position for position, label in enumerate(classes)}
    grid = np.array([[codes[v] for v in true.tolist()], [codes[v] for v in predicted.tolist()]])
    figure, ax = _axes(None, (12, 1.8 + 0.15 * len(classes)))
    cmap = "tab10" if len(classes) <= 10 else "tab20"
    image = ax.imshow(grid, aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(classes) - 0.5, interpolation="nearest")
    ax.set_yticks([0, 1], ["true", "predicted"])
    ax.set_xlabel("step")
    ax.set_title(title)
    bar = figure.colorbar(image, ax=ax, ticks=range(len(classes)))
    bar.ax.set_yticklabels([str(c) for c in classes])
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
    history, forecast, _, target = _forecast_frames(history, forecast, None, target)
    prefix = f"{target}_q"
    levels = sorted(float(c[len(prefix):]) for c in forecast.columns if c.startswith(prefix))
    last = last or max(48, 3 * len(forecast))
    history, forecast = _drawable(history), _drawable(forecast)
    figure, ax = _axes(ax, (10, 4))
    past = history[target].iloc[-last:]
    ax.plot(past.index, past.to_numpy(), color="0.3", label="history")
    pairs = [(low, high) for low in levels for high in levels if low < 0.5 and abs(low + high - 1) < 1e-9]
    for number, (low, high) in enumerate(pairs):  # widest first, drawn lightest
        ax.fill_between(forecast.index, forecast[f"{prefix}{low:g}"], forecast[f"{prefix}{high:g}"],
                        color="tab:blue", alpha=0.15 + 0.15 * number, linewidth=0,
                        label=f"{round((high - low) * 100)}% interval")
    if samples is not None:  # samples have one channel per target: the columns that are not quantiles
        targets = [c for c in forecast.columns if not any(c.startswith(f"{t}_q") for t in forecast.columns)]
        for path in np.asarray(samples)[:, :, targets.index(target)]:
            ax.plot(forecast.index, path, color="tab:blue", alpha=0.35, linewidth=0.6)
    ax.plot(forecast.index, forecast[target].to_numpy(), color="tab:blue", marker=".", label="median")
    ax.axvline(past.index[-1], color="0.6", linestyle=":")
    ax.set_title(f"Forecast of {target} with intervals")
    ax.legend(loc="upper left")
    return figure
