"""Figures of learning: a training's loss by epoch, and a search's trials."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.plotting.common import axes_of, frame_of


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
    figure, ax = axes_of(ax, (8, 4))
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


def plot_tuning(trials, hyperparameters=None, direction=None):
    """Search results: score by trial (best so far marked) and score against each hyperparameter.

    Args:
        trials: a `TuneResult`, or its `trials`.
        hyperparameters: columns to plot against (default: the searched ones present).
        direction: "min" or "max", whether a lower or a higher score is better (default: the search's
            objective's, read from a `TuneResult`; "min" for a table alone, as for a loss).

    Example:
    >>> import pandas as pd
    >>> trials = pd.DataFrame({"trial_id": ["0", "1"], "status": ["COMPLETED"] * 2, "score": [0.2, 0.1],
    ...                        "units_1": [32, 64], "dropout": [0.0, 0.2]})
    >>> len(plot_tuning(trials).axes)
    3
    """
    if direction is None:  # a TuneResult knows whether its objective (an accuracy, a loss) is maximised
        direction = getattr(getattr(getattr(trials, "tuner", None), "oracle", None), "objective", None)
        direction = getattr(direction, "direction", "min")
    if direction not in ("min", "max"):
        raise ConfigError(f"`direction` must be 'min' or 'max' (or None: the search's). Received: direction={direction!r}")
    trials = frame_of(getattr(trials, "trials", trials), "trials", "a TuneResult or its `trials`", ("status", "score"))
    done = trials[trials["status"] == "COMPLETED"]
    if done.empty:
        raise DataError(f"No trial of the search has completed (statuses {sorted(set(trials['status']))}): "
                        "nothing to plot yet.")
    if hyperparameters is None:
        hyperparameters = [c for c in ("depth", "units_1", "units_2", "dropout", "learning_rate", "cell", "bidirectional")
                           if c in done.columns and done[c].nunique(dropna=True) > 0]
    unknown = [name for name in hyperparameters if name not in done.columns]
    if unknown:
        raise DataError(f"The trials hold no column(s) {unknown}; their columns are {list(done.columns)}.")
    figure = Figure(figsize=(4 * (1 + len(hyperparameters)), 3.5), layout="constrained")
    axes = figure.subplots(1, 1 + len(hyperparameters), squeeze=False)[0]
    order = np.arange(len(done))
    axes[0].plot(order, done["score"], "o", label="trial")
    best = done["score"].cummin() if direction == "min" else done["score"].cummax()
    axes[0].plot(order, best, "-", color="0.4", label="best so far")
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel(f"objective ({'lower' if direction == 'min' else 'higher'} is better)")
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
