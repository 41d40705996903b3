"""Figures of what happens inside a trained network: an LSTM layer's gates and cell state, and seq2seq attention."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lstm_toolkit.errors import DataError, check_integer
from lstm_toolkit.plotting.common import array_of, axes_of, sample_of

GATES = ("forget", "input", "candidate", "output", "cell", "hidden")


def gates_of(gates):
    """`gates`, checked to be what `gates.lstm_gates` returns: a dict of `(batch, time, units)` arrays."""
    if not isinstance(gates, dict) or not set(GATES) <= set(gates):
        held = sorted(gates) if isinstance(gates, dict) else f"a {type(gates).__name__}"
        raise DataError(f"`gates` must be the dict `lstm_toolkit.gates.lstm_gates(model, x)` returns, with {list(GATES)}; "
                        f"received {held}.")
    return gates


def top_units(gates, units):
    """The `units` units whose hidden state varies most over time (all when fewer)."""
    check_integer(units, "units")
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
    gates = gates_of(gates)
    sample, chosen = sample_of(sample, len(gates["hidden"])), top_units(gates, units)
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
    gates = gates_of(gates)
    sample, chosen = sample_of(sample, len(gates["cell"])), top_units(gates, units)
    figure, ax = axes_of(ax, (10, 4))
    for unit in chosen:
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
    forget = gates_of(gates)["forget"].mean(axis=(0, 1))
    order = np.argsort(forget)[::-1]
    figure, ax = axes_of(ax, (10, 3.5))
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
    weights = array_of(weights, "weights", 3, "(batch, horizon, lookback), as `gates.attention_weights` returns")
    sample = sample_of(sample, len(weights))
    figure, ax = axes_of(ax, (10, 3.5))
    image = ax.imshow(weights[sample], aspect="auto", cmap="magma", vmin=0.0, interpolation="nearest")
    ax.set_xlabel("input step (window)")
    ax.set_ylabel("forecast step")
    ax.set_yticks(range(weights.shape[1]), [str(step + 1) for step in range(weights.shape[1])])
    ax.set_title("Attention: where each forecast step looks")
    figure.colorbar(image, ax=ax)
    return figure
