"""Figures of sequence tasks: frames of a grid forecast, anomaly scores over a signal, and labels per step."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lstm_toolkit.errors import DataError
from lstm_toolkit.metrics import binary_labels
from lstm_toolkit.plotting.common import array_of, axes_of, one_per_step

FRAMES = "(frames, height, width, channels)"


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
    named = {"inputs": inputs, "predicted": predicted, "actual": actual}
    frames = {name: array_of(value, name, 4, f"{FRAMES}: one window's frames, not a batch of windows")
              for name, value in named.items() if value is not None}
    shapes = {name: value.shape[1:] for name, value in frames.items()}
    if len(set(shapes.values())) > 1:
        raise DataError(f"The frames differ in (height, width, channels): {shapes}. Pass frames of one grid.")
    panels = [(frame, f"t-{len(frames['inputs']) - 1 - t}") for t, frame in enumerate(frames["inputs"])]
    panels += [(frame, f"predicted t+{h + 1}") for h, frame in enumerate(frames["predicted"])]
    panels += [(frame, f"true t+{h + 1}") for h, frame in enumerate(frames.get("actual", ()))]
    figure = Figure(figsize=(2 * len(panels), 2.4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for ax, (frame, label) in zip(axes, panels):
        ax.imshow(frame[..., 0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(label, fontsize="small")
        ax.axis("off")
    figure.suptitle(title)
    return figure


def _shade(ax, mask, color, label):
    """Shades the contiguous runs where `mask` is true."""
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
    values = array_of(values, "values", (1, 2), "the signal, one row per step")
    scores = one_per_step(scores, "scores", len(values))
    stretches = [(one_per_step(_flags(mask, name), name, len(values), dtype=bool), color, label)
                 for mask, name, color, label in ((flags, "flags", "tab:red", "flagged"),
                                                  (labels, "labels", "tab:green", "labelled")) if mask is not None]
    figure = Figure(figsize=(12, 5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    top.plot(values, color="0.25", linewidth=0.7)
    bottom.plot(scores, color="tab:blue", linewidth=0.8)
    if threshold is not None:
        bottom.axhline(threshold, color="tab:red", linestyle="--", linewidth=0.8, label="threshold")
    for ax in (top, bottom):
        for mask, color, label in stretches:
            _shade(ax, mask, color, label)
    top.set_ylabel("value")
    bottom.set_ylabel("score")
    bottom.set_xlabel("step")
    top.set_title(title)
    top.legend(loc="upper left")
    return figure


def _flags(mask, name):
    """0/1 `flags` or `labels` (numbers, booleans or a CSV's "0"/"1": a text "0" is not True) as booleans."""
    try:
        return binary_labels(mask).astype(bool)
    except DataError as error:
        raise DataError(f"`{name}`: {error}") from None


def plot_segments(true, predicted, title="Labels per step"):
    """Two colour bands, true and predicted labels per step of one sequence (a labeller's output).

    Example:
    >>> plot_segments(["a", "a", "b"], ["a", "b", "b"]).axes[0].get_yticklabels()[0].get_text()
    'true'
    """
    true = np.asarray(true).ravel()
    predicted = one_per_step(predicted, "predicted", len(true), dtype=None)
    classes = sorted(set(true.tolist()) | set(predicted.tolist()), key=str)
    codes = {label: position for position, label in enumerate(classes)}
    grid = np.array([[codes[v] for v in true.tolist()], [codes[v] for v in predicted.tolist()]])
    figure, ax = axes_of(None, (12, 1.8 + 0.15 * len(classes)))
    cmap = "tab10" if len(classes) <= 10 else "tab20"
    image = ax.imshow(grid, aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(classes) - 0.5, interpolation="nearest")
    ax.set_yticks([0, 1], ["true", "predicted"])
    ax.set_xlabel("step")
    ax.set_title(title)
    bar = figure.colorbar(image, ax=ax, ticks=range(len(classes)))
    bar.ax.set_yticklabels([str(c) for c in classes])
    return figure
