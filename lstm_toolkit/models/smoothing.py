"""Damped-trend exponential smoothing over a window, as a fixed linear map: the "damped" reference forecast.

Holt's linear method with a damped trend (Gardner and McKenzie 1985), run over
the rows of one window with fixed coefficients, is linear in the window: its
forecast of step h is `window @ weights[:, h]`. So the reference is one matrix
product inside the model (saved with it, exported to LiteRT as a built-in op)
and the network learns what the smoothing misses: an ES-RNN-style hybrid
(Smyl 2020) whose statistical part is fitted, not learned. The Forecaster
chooses the coefficients on the training windows from `SMOOTHING_GRID`
(`forecasting.choices.auto_window_norm(..., modes=("damped",))`), by the error
the references are chosen by: the forecast of the horizon from a window.
`window_norm="auto"` does not choose "damped" (see `choices.AUTO_REFERENCES`).
"""

from __future__ import annotations

import itertools

import numpy as np

from lstm_toolkit.errors import ConfigError

# (alpha, beta, phi) tried by the Forecaster: the level's smoothing, the trend's, and its damping.
# beta=0 is simple exponential smoothing (one phi suffices); alpha=1, beta=0 is the naive forecast.
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
TRENDS = ((0.0, 1.0),) + tuple(itertools.product((0.05, 0.1, 0.2), (0.8, 0.9, 0.98)))
SMOOTHING_GRID = tuple((alpha, beta, phi) for alpha in ALPHAS for beta, phi in TRENDS)
# What `build_model` uses when a "damped" config carries no fitted coefficients.
DEFAULT_SMOOTHING = (0.3, 0.1, 0.9)


def check_smoothing(smoothing):
    """`smoothing` as a tuple `(alpha, beta, phi)` of floats, or a ConfigError naming what is wrong."""
    try:
        alpha, beta, phi = (float(value) for value in smoothing)
    except (TypeError, ValueError):
        raise ConfigError(f"`smoothing` must be three numbers (alpha, beta, phi). Received: smoothing={smoothing!r}") from None
    if not (0.0 < alpha <= 1.0 and 0.0 <= beta <= 1.0 and 0.0 < phi <= 1.0):
        raise ConfigError("`smoothing` needs 0 < alpha <= 1, 0 <= beta <= 1 and 0 < phi <= 1. "
                          f"Received: smoothing={smoothing!r}")
    return alpha, beta, phi


def damped_weights(lookback, horizon, smoothing=DEFAULT_SMOOTHING):
    """The damped-trend smoothing forecast as a matrix: `window @ weights` is the forecast of every step, `(lookback, horizon)`.

    The level starts at the window's first row and the trend at zero; then for
    each later row y: level' = alpha y + (1 - alpha)(level + phi trend) and
    trend' = beta (level' - level) + (1 - beta) phi trend. Step h's forecast is
    level + (phi + ... + phi^h) trend. The recursion runs on the rows'
    coefficients (one unit vector per row), which is the same thing, for every window.

    >>> w = damped_weights(4, 2, (1.0, 0.0, 1.0))   # alpha=1, no trend: the naive forecast
    >>> w[:, 0].tolist(), w[:, 1].tolist()
    ([0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0])
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> np.round(x @ damped_weights(4, 2, (1.0, 1.0, 1.0)), 6).tolist()   # a full, undamped trend: the last change
    [5.0, 6.0]
    """
    alpha, beta, phi = check_smoothing(smoothing)
    rows = np.eye(lookback)
    level, trend = rows[0], np.zeros(lookback)
    for row in rows[1:]:
        previous = level
        level = alpha * row + (1.0 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1.0 - beta) * phi * trend
    damping = np.cumsum(phi ** np.arange(1, horizon + 1))
    return (level[:, None] + trend[:, None] * damping[None, :]).astype("float32")
