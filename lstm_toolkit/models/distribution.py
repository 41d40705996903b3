"""Distribution heads: how a probabilistic model's output is laid out and kept valid.

A probabilistic model's output has a last axis of parameters per forecast
value, `(batch, horizon, n_targets, n_params)`:

- "quantile": one value per quantile level, kept in increasing order by
  construction (the first, then positive increments);
- "gaussian": mean and standard deviation;
- "student_t": location, scale and degrees of freedom (> 2, so the variance exists).

The losses that train these heads and the maths on their outputs live with
the likelihood objects (`lstm_toolkit.forecasting.likelihoods`) and in
`lstm_toolkit.forecasting.probabilistic`; this module holds only the Keras layers.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.backend import keras, ops
from lstm_toolkit.errors import ConfigError

POINT_LOSSES = ("mse", "mae")
PROBABILISTIC_LOSSES = ("quantile", "gaussian", "student_t")
LOSSES = (*POINT_LOSSES, *PROBABILISTIC_LOSSES)
DEFAULT_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


def n_params(loss, quantiles=DEFAULT_QUANTILES):
    """Parameters per forecast value: 0 for a point forecast ("mse", "mae")."""
    return {"mse": 0, "mae": 0, "quantile": len(quantiles), "gaussian": 2, "student_t": 3}[loss]


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
        if loss not in PROBABILISTIC_LOSSES:
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
class ShiftLocation(keras.layers.Layer):
    """Adds `shift (..., horizon, n_targets)` to the first raw parameter of `raw (..., horizon, n_targets, n_params)`.

    Before `DistributionParameters` the first raw parameter is the location
    (the mean, or the lowest quantile that the others are built up from), so
    this moves the whole distribution and leaves its spread alone.

    Example:
    >>> raw = np.zeros((1, 2, 1, 3), "float32")
    >>> np.asarray(ShiftLocation()([raw, np.ones((1, 2, 1), "float32")]))[0, 0, 0].tolist()
    [1.0, 0.0, 0.0]
    """

    def call(self, inputs):
        raw, shift = inputs
        return ops.concatenate([raw[..., :1] + ops.expand_dims(shift, -1), raw[..., 1:]], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


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
