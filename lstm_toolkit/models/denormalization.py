"""The way back from a window model's relative terms: its forecast mapped to levels.

`WindowDenormalization` applies the per-step reference and scale that
`WindowNormalization` computed from the window; `LastValueResidual` is its
counterpart for models that carry their state from step to step.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.backend import keras, ops


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class WindowDenormalization(keras.layers.Layer):
    """Maps forecasts made in a window's relative terms back to levels.

    Args:
        target_channels: for each target, the input channel whose `shift` and
            `scale` apply to it.

    Example:
    >>> import numpy as np
    >>> y = np.array([[[0.5]]], dtype="float32")
    >>> shift, scale = np.array([[[4.0]]], "float32"), np.array([[[2.0]]], "float32")
    >>> np.asarray(WindowDenormalization([0])([y, shift, scale])).tolist()
    [[[5.0]]]
    """

    def __init__(self, target_channels, **kwargs):
        super().__init__(**kwargs)
        self.target_channels = [int(c) for c in target_channels]

    def call(self, inputs):
        forecast, shift, scale = inputs
        shift = ops.take(shift, self.target_channels, axis=-1)
        scale = ops.take(scale, self.target_channels, axis=-1)
        return forecast * scale + shift

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "target_channels": self.target_channels}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class LastValueResidual(keras.layers.Layer):
    """Step-wise "last" normalisation: each forecast is the current value plus a scaled change.

    The counterpart of `WindowNormalization("last")` for models that carry
    their state from step to step instead of reading a window: at every time
    step t, the forecast of each target is its value at t plus the network's
    output times `delta_scale`. It needs nothing but the current row, so it
    streams in O(1).

    Args:
        target_channels: input channel of each target.
        delta_scale: per input channel, the typical size of the change to
            predict (fit on training data, see `window_norm_scales`); None for 1.

    Example:
    >>> import numpy as np
    >>> out = np.full((1, 2, 1, 1), 0.5, "float32")          # (batch, time, horizon, targets)
    >>> x = np.array([[[3.0], [4.0]]], "float32")             # (batch, time, features)
    >>> np.asarray(LastValueResidual([0], delta_scale=[2.0])([out, x])).ravel().tolist()
    [4.0, 5.0]
    """

    def __init__(self, target_channels, delta_scale=None, **kwargs):
        super().__init__(**kwargs)
        self.target_channels = [int(c) for c in target_channels]
        self.delta_scale = None if delta_scale is None else [float(s) for s in delta_scale]

    def call(self, inputs):
        forecast, rows = inputs
        last = ops.take(rows, self.target_channels, axis=-1)[:, :, None, :]
        if self.delta_scale is not None:
            scale = np.asarray(self.delta_scale, dtype="float32")[self.target_channels]
            forecast = forecast * ops.convert_to_tensor(scale, dtype=forecast.dtype)
        return forecast + ops.cast(last, forecast.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "target_channels": self.target_channels, "delta_scale": self.delta_scale}
