"""Probabilistic forecasts in NumPy: distribution parameters in original units, quantiles, samples and scores.

A probabilistic model outputs distribution parameters per forecast value,
`(..., n_targets, n_params)` (see `lstm_toolkit.models.distribution` for the
layout and the Keras layers that keep them valid). Training minimises the
pinball loss or the negative log-likelihood in the scaled space the model
works in (the losses of `lstm_toolkit.forecasting.likelihoods`); `to_original`
maps the parameters back to original units (locations through the scaler,
scales by its multiplier: the Jacobian of an affine map). The rest of this
module reads quantiles, draws samples and scores forecasts, all in NumPy.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
from scipy import stats

from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models.distribution import DEFAULT_QUANTILES, LOSSES, n_params, parameter_kinds  # noqa: F401 (public here too)

# Names that moved in 0.x, still importable from here (with a DeprecationWarning) for one release.
MOVED = {
    "DistributionParameters": "lstm_toolkit.models.distribution",
    "DistributionDenormalization": "lstm_toolkit.models.distribution",
    "PinballLoss": "lstm_toolkit.forecasting.likelihoods",
    "GaussianNLL": "lstm_toolkit.forecasting.likelihoods",
    "StudentTNLL": "lstm_toolkit.forecasting.likelihoods",
    "keras_loss": "lstm_toolkit.forecasting.likelihoods",
}
# The quantile levels CRPS is averaged over when a model gives a whole distribution.
CRPS_LEVELS = tuple(np.round(np.concatenate([[0.025], np.arange(0.05, 0.951, 0.05), [0.975]]), 3))
INTERVALS = (0.8, 0.95)


def check_loss(loss, quantiles):
    """Validates a `loss` and its `quantiles`; returns the quantiles as a sorted tuple of floats."""
    if loss not in LOSSES:
        # The Forecaster's choices: it resolves "auto" (`choices.resolve_loss`) before a likelihood is made.
        raise ConfigError(f"`loss` must be one of {('auto', *LOSSES)}. Received: loss={loss!r}")
    levels = tuple(sorted(float(q) for q in quantiles))
    if not levels or any(not 0 < q < 1 for q in levels) or len(set(levels)) != len(levels):
        raise ConfigError(f"`quantiles` must be distinct levels in (0, 1). Received: quantiles={quantiles!r}")
    return levels


# --- in original units -----------------------------------------------------------------------------


def to_original(params, loss, multiplier, offset):
    """Maps scaled parameters `(..., n_targets, n_params)` to original units.

    The scaler is affine per target, `scaled = value * multiplier + offset`, so
    locations map through its inverse and spreads divide by `multiplier`
    (the Jacobian); degrees of freedom stay as they are.
    """
    params = np.array(params, dtype="float64")
    multiplier, offset = np.asarray(multiplier)[:, None], np.asarray(offset)[:, None]
    location, length = parameter_kinds(loss, params.shape[-1])
    params[..., length] = params[..., length] / np.abs(multiplier)
    params[..., location] = params[..., location] - (offset / multiplier)
    return params


def quantiles_of(params, loss, levels, model_levels=None):
    """Quantiles `(..., len(levels))` of forecasts with parameters `(..., n_params)` in original units.

    A quantile model gives its own levels (`model_levels`); other levels are
    interpolated linearly between them (and held flat beyond them).
    """
    levels = np.asarray(levels, dtype="float64")
    if loss == "gaussian":
        return params[..., :1] + params[..., 1:2] * stats.norm.ppf(levels)
    if loss == "student_t":
        return params[..., :1] + params[..., 1:2] * stats.t.ppf(levels, params[..., 2:3])
    return interpolate(model_levels, params, levels)


def interpolate(grid, values, x, per_row=False):
    """Piecewise-linear interpolation of `values (..., K)`, given at the increasing `grid (K,)`, at `x`.

    As `np.interp` row by row (held flat beyond the grid), but vectorised: `x`
    is `(L,)` points shared by every row (giving `(..., L)`), or with
    `per_row=True` one point per row, shaped `values.shape[:-1]`.

    Example:
    >>> interpolate([0.1, 0.9], np.array([[0.0, 8.0]]), [0.1, 0.5, 1.0]).tolist()
    [[0.0, 4.0, 8.0]]
    """
    grid = np.asarray(grid, dtype="float64")
    values = np.asarray(values, dtype="float64")
    x = np.asarray(x, dtype="float64")
    if len(grid) == 1:  # one level: a constant
        return values[..., 0].copy() if per_row else np.repeat(values, len(x), axis=-1)
    x = np.clip(x, grid[0], grid[-1])
    lower = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
    weight = (x - grid[lower]) / (grid[lower + 1] - grid[lower])
    if not per_row:
        low, high = values[..., lower], values[..., lower + 1]
    else:
        low = np.take_along_axis(values, lower[..., None], axis=-1)[..., 0]
        high = np.take_along_axis(values, lower[..., None] + 1, axis=-1)[..., 0]
    return low + weight * (high - low)


def point_of(params, loss, model_levels=None):
    """The point forecast of each distribution: its median."""
    return quantiles_of(params, loss, [0.5], model_levels)[..., 0]


def sample(params, loss, num_samples, temperature=1.0, model_levels=None, seed=None):
    """Draws `(num_samples, ...)` values from each forecast's distribution; `temperature` scales the spread.

    A quantile model is sampled by inverting its piecewise-linear quantile
    function between its lowest and highest levels. Temperature 0 gives the median.
    """
    rng = np.random.default_rng(seed)
    shape = (num_samples, *params.shape[:-1])
    median = point_of(params, loss, model_levels)
    if loss == "gaussian":
        draws = params[..., 0] + params[..., 1] * rng.standard_normal(shape)
    elif loss == "student_t":
        draws = params[..., 0] + params[..., 1] * rng.standard_t(params[..., 2], size=shape)
    else:
        levels = np.asarray(model_levels)
        u = rng.uniform(levels[0], levels[-1], size=shape)
        draws = interpolate(levels, np.broadcast_to(params, (num_samples, *params.shape)), u, per_row=True)
    return median + temperature * (draws - median)


# --- scores --------------------------------------------------------------------------------------


def pinball(actual, quantiles, levels):
    """Mean pinball loss per level: `actual (...)`, `quantiles (..., len(levels))` -> `(len(levels),)`."""
    error = np.asarray(actual, dtype="float64")[..., None] - quantiles
    levels = np.asarray(levels, dtype="float64")
    return np.maximum(levels * error, (levels - 1.0) * error).reshape(-1, len(levels)).mean(axis=0)


def crps_from_quantiles(actual, quantiles, levels):
    """CRPS approximated as twice the mean pinball loss over the quantile levels (lower is better)."""
    return float(2.0 * pinball(actual, quantiles, levels).mean())


def interval_scores(actual, quantiles, levels, coverage):
    """Empirical coverage and mean width of the central `coverage` interval, or NaN without its levels."""
    low, high = round((1 - coverage) / 2, 6), round(1 - (1 - coverage) / 2, 6)
    levels = [round(float(q), 6) for q in levels]
    if low not in levels or high not in levels:
        return float("nan"), float("nan")
    lower, upper = quantiles[..., levels.index(low)], quantiles[..., levels.index(high)]
    actual = np.asarray(actual, dtype="float64")
    return float(np.mean((actual >= lower) & (actual <= upper))), float(np.mean(upper - lower))


def probabilistic_metrics(actual, quantiles, levels):
    """CRPS, and coverage and width of the 80% and 95% intervals, as a dict."""
    row = {"CRPS": crps_from_quantiles(actual, quantiles, levels)}
    for coverage in INTERVALS:
        covered, width = interval_scores(actual, quantiles, levels, coverage)
        row[f"coverage_{round(coverage * 100)}"] = covered
        row[f"width_{round(coverage * 100)}"] = width
    return row


def residual_quantiles(actual, forecast, levels):
    """Quantiles of a baseline's in-sample residuals by horizon step: `(horizon, n_targets, len(levels))`.

    Args:
        actual, forecast: `(origins, horizon, n_targets)` over the history.
    """
    residuals = np.asarray(actual, dtype="float64") - np.asarray(forecast, dtype="float64")
    return np.moveaxis(np.quantile(residuals, levels, axis=0), 0, -1)


def __getattr__(name):
    if name in MOVED:
        warnings.warn(f"lstm_toolkit.forecasting.probabilistic.{name} moved to {MOVED[name]}.{name}; import it from there.",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
