"""Probabilistic forecasts: distribution heads and their losses, quantiles, samples and scores.

A probabilistic model's output has a last axis of parameters per forecast
value, `(batch, horizon, n_targets, n_params)`:

- "quantile": one value per quantile level, kept in increasing order by
  construction (the first, then positive increments);
- "gaussian": mean and standard deviation;
- "student_t": location, scale and degrees of freedom (> 2, so the variance exists).

Training minimises the pinball loss or the negative log-likelihood in the
scaled space the model works in; `to_original` maps the parameters back to
original units (locations through the scaler, scales by its multiplier: the
Jacobian of an affine map).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from lstm_toolkit.backend import keras, ops, tf
from lstm_toolkit.errors import ConfigError

LOSSES = ("mse", "quantile", "gaussian", "student_t")
DEFAULT_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
# The quantile levels CRPS is averaged over when a model gives a whole distribution.
CRPS_LEVELS = tuple(np.round(np.concatenate([[0.025], np.arange(0.05, 0.951, 0.05), [0.975]]), 3))
INTERVALS = (0.8, 0.95)


def check_loss(loss, quantiles):
    """Validates a `loss` and its `quantiles`; returns the quantiles as a sorted tuple of floats."""
    if loss not in LOSSES:
        raise ConfigError(f"`loss` must be one of {LOSSES}. Received: loss={loss!r}")
    levels = tuple(sorted(float(q) for q in quantiles))
    if not levels or any(not 0 < q < 1 for q in levels) or len(set(levels)) != len(levels):
        raise ConfigError(f"`quantiles` must be distinct levels in (0, 1). Received: quantiles={quantiles!r}")
    return levels


def n_params(loss, quantiles=DEFAULT_QUANTILES):
    """Parameters per forecast value: 0 for a point forecast ("mse")."""
    return {"mse": 0, "quantile": len(quantiles), "gaussian": 2, "student_t": 3}[loss]


def parameter_kinds(loss, n):
    """Two boolean masks over the `n` parameters: locations (shifted and scaled back) and lengths (scaled).

    Locations and spreads are lengths; degrees of freedom are neither.
    """
    if loss == "quantile":
        return np.ones(n, bool), np.ones(n, bool)
    location = np.zeros(n, bool)
    location[0] = True
    length = np.zeros(n, bool)
    length[:2] = True
    return location, length


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class DistributionParameters(keras.layers.Layer):
    """Constrains raw head outputs `(..., n_params)` to valid parameters of `loss`.

    Example:
    >>> raw = np.array([[0.0, -5.0, 3.0]], "float32")
    >>> values = np.asarray(DistributionParameters("quantile")(raw))
    >>> bool(np.all(np.diff(values) > 0))
    True
    """

    def __init__(self, loss, **kwargs):
        super().__init__(**kwargs)
        if loss not in LOSSES[1:]:
            raise ConfigError(f"DistributionParameters needs a probabilistic loss, not {loss!r}.")
        self.loss = loss

    def call(self, raw):
        first = raw[..., :1]
        if self.loss == "quantile":
            increments = ops.softplus(raw[..., 1:]) + 1e-4
            return ops.concatenate([first, first + ops.cumsum(increments, axis=-1)], axis=-1)
        spread = ops.softplus(raw[..., 1:2]) + 1e-3
        if self.loss == "gaussian":
            return ops.concatenate([first, spread], axis=-1)
        return ops.concatenate([first, spread, 2.0 + ops.softplus(raw[..., 2:3])], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "loss": self.loss}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class DistributionDenormalization(keras.layers.Layer):
    """`WindowDenormalization` for distribution parameters: locations get `* scale + shift`, spreads `* scale`."""

    def __init__(self, target_channels, loss, n_params, **kwargs):
        super().__init__(**kwargs)
        self.target_channels = [int(c) for c in target_channels]
        self.loss = loss
        self.n_params = int(n_params)

    def call(self, inputs):
        params, shift, scale = inputs
        shift = ops.expand_dims(ops.take(shift, self.target_channels, axis=-1), -1)
        scale = ops.expand_dims(ops.take(scale, self.target_channels, axis=-1), -1)
        location, length = (ops.convert_to_tensor(mask.astype("float32")) for mask in parameter_kinds(self.loss, self.n_params))
        return params * (length * scale + (1.0 - length)) + shift * location

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "target_channels": self.target_channels, "loss": self.loss,
                "n_params": self.n_params}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class PinballLoss(keras.losses.Loss):
    """Mean pinball (quantile) loss of `(batch, horizon, targets, n_quantiles)` forecasts.

    Example:
    >>> loss = PinballLoss([0.1, 0.9])
    >>> round(float(loss(np.zeros((1, 1, 1)), np.array([[[[-1.0, 1.0]]]]))), 6)
    0.1
    """

    def __init__(self, quantiles, name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = [float(q) for q in quantiles]

    def call(self, y_true, y_pred):
        levels = ops.convert_to_tensor(np.array(self.quantiles, "float32"))
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        return ops.mean(ops.maximum(levels * error, (levels - 1.0) * error), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class GaussianNLL(keras.losses.Loss):
    """Negative log-likelihood of a normal distribution with parameters `(..., [mean, std])`."""

    def __init__(self, name="gaussian_nll", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        mean, std = y_pred[..., 0], y_pred[..., 1]
        z = (ops.cast(y_true, y_pred.dtype) - mean) / std
        return 0.5 * ops.square(z) + ops.log(std) + 0.5 * math.log(2 * math.pi)


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class StudentTNLL(keras.losses.Loss):
    """Negative log-likelihood of a Student's t distribution with parameters `(..., [loc, scale, df])`.

    (Keras ops have no log-gamma: this loss uses TensorFlow's, the toolkit's backend.)
    """

    def __init__(self, name="student_t_nll", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        loc, scale, df = y_pred[..., 0], y_pred[..., 1], y_pred[..., 2]
        z = (ops.cast(y_true, y_pred.dtype) - loc) / scale
        log_norm = (tf.math.lgamma((df + 1.0) / 2.0) - tf.math.lgamma(df / 2.0) - 0.5 * ops.log(df * math.pi)
                    - ops.log(scale))
        return -(log_norm - (df + 1.0) / 2.0 * ops.log1p(ops.square(z) / df))


def keras_loss(loss, quantiles):
    """The Keras loss object (or name) that trains a model with this `loss`."""
    if loss == "quantile":
        return PinballLoss(quantiles)
    return {"mse": "mse", "gaussian": GaussianNLL(), "student_t": StudentTNLL()}[loss]


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
