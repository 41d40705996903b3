"""Window-relative normalisation as Keras layers, so the saved model carries it."""

from __future__ import annotations

import keras
from keras import ops

from lstm_toolkit.errors import ConfigError

# "none": windows as scaled; "last": relative to the window's last observed value
# (the model predicts the change); "mean": the window's own mean and standard deviation.
WINDOW_NORMS = ("none", "last", "mean")


def _check_mode(mode):
    if mode not in WINDOW_NORMS:
        raise ConfigError(f"`window_norm` must be one of {WINDOW_NORMS}. Received: window_norm={mode!r}")


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class WindowNormalization(keras.layers.Layer):
    """Expresses each input window relative to its own level.

    A scaler fit on the training part saturates once a series leaves the
    training range (prices, trending sales); a window expressed relative to its
    last value (or to its own mean and spread) looks the same at any level.

    Args:
        mode: "last" subtracts each channel's last value in the window;
            "mean" subtracts the window mean and divides by the window's
            standard deviation; "none" passes the window through.
        channels: input channels to normalise (others, e.g. calendar
            channels, pass through); None means all.
        epsilon: added to the variance in "mean" mode.

    Returns:
        `(normalised, shift, scale)`, with `shift` and `scale` of shape
        (batch, n_features), for `WindowDenormalization` to undo.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[1.0], [2.0], [4.0]]], dtype="float32")
    >>> normalised, shift, scale = WindowNormalization("last")(x)
    >>> np.asarray(normalised)[0, :, 0].tolist(), np.asarray(shift).tolist()
    ([-3.0, -2.0, 0.0], [[4.0]])
    """

    def __init__(self, mode="last", channels=None, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check_mode(mode)
        self.mode = mode
        self.channels = None if channels is None else [int(c) for c in channels]
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        n_features = input_shape[-1]
        channels = range(n_features) if self.channels is None else self.channels
        self._mask = ops.convert_to_tensor(
            [1.0 if c in channels else 0.0 for c in range(n_features)], dtype=self.compute_dtype
        )

    def call(self, inputs):
        if self.mode == "none":
            shift = ops.zeros_like(inputs[:, -1, :])
            return inputs, shift, ops.ones_like(shift)
        if self.mode == "last":
            shift = inputs[:, -1, :] * self._mask
            scale = ops.ones_like(shift)
        else:
            shift = ops.mean(inputs, axis=1) * self._mask
            spread = ops.sqrt(ops.var(inputs, axis=1) + self.epsilon)
            scale = spread * self._mask + (1.0 - self._mask)
        normalised = (inputs - shift[:, None, :]) / scale[:, None, :]
        return normalised, shift, scale

    def compute_output_spec(self, inputs):
        # Two distinct tensors: the functional API tells outputs apart by identity.
        shift, scale = (keras.KerasTensor((inputs.shape[0], inputs.shape[-1]), dtype=inputs.dtype) for _ in range(2))
        return keras.KerasTensor(inputs.shape, dtype=inputs.dtype), shift, scale

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "channels": self.channels, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class WindowDenormalization(keras.layers.Layer):
    """Maps forecasts made in a window's relative terms back to levels.

    Args:
        target_channels: for each target, the input channel whose `shift` and
            `scale` apply to it.

    Example:
    >>> import numpy as np
    >>> y = np.array([[[0.5]]], dtype="float32")
    >>> shift, scale = np.array([[4.0]], "float32"), np.array([[2.0]], "float32")
    >>> np.asarray(WindowDenormalization([0])([y, shift, scale])).tolist()
    [[[5.0]]]
    """

    def __init__(self, target_channels, **kwargs):
        super().__init__(**kwargs)
        self.target_channels = [int(c) for c in target_channels]

    def call(self, inputs):
        forecast, shift, scale = inputs
        shift = ops.take(shift, self.target_channels, axis=-1)[:, None, :]
        scale = ops.take(scale, self.target_channels, axis=-1)[:, None, :]
        return forecast * scale + shift

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "target_channels": self.target_channels}
