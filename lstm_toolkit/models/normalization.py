"""Window-relative normalisation: the Keras layer that carries it inside the model, and its scales fit on training windows.

The way back to levels (`WindowDenormalization`, `LastValueResidual`) is `models.denormalization`.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.backend import keras, ops
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models.smoothing import DEFAULT_SMOOTHING, check_smoothing, damped_weights

# "none": windows as scaled. "last": relative to the window's last value; the model
# predicts the change from the naive forecast. "drift": the same inputs, forecasts relative
# to the naive forecast plus the window's recent drift. "seasonal": inputs relative to the
# last value, forecasts relative to the last season (the seasonal-naive forecast).
# "seasonal_drift": forecasts relative to the last season plus the change over the last season.
# "damped": forecasts relative to damped-trend exponential smoothing over the window (`models.smoothing`).
# "mean": the window's own mean and standard deviation (RevIN-style). "es": the window's
# exponentially smoothed level and seasonality, with learned smoothing coefficients (ES-RNN).
WINDOW_NORMS = ("none", "last", "drift", "seasonal", "seasonal_drift", "damped", "mean", "es")
# The modes whose forecasts are referenced to a simple forecast made from the window
# (`reference_forecast`), with what that forecast is (warnings and the CLI say it in these
# words), and those among them that also see the seasonal differences.
REFERENCE_FORECASTS = {
    "last": "the last value (naive)",
    "drift": "the last value plus the recent drift",
    "seasonal": "the value one season earlier (seasonal naive)",
    "seasonal_drift": "the value one season earlier plus the last season's change",
    "damped": "damped-trend exponential smoothing over the window",
}
REFERENCE_NORMS = tuple(REFERENCE_FORECASTS)
SEASONAL_NORMS = ("seasonal", "seasonal_drift")
# The modes that divide by `WindowNormalization`'s scales (non-trainable variables of the layer).
SCALED_NORMS = REFERENCE_NORMS + ("es",)
# The smoothing coefficients "es" starts from (learned from there): level alpha, seasonality gamma.
ES_INITIAL = (0.3, 0.3)


def check_window_norm(mode):
    """Raises a ConfigError unless `mode` is one of `WINDOW_NORMS`."""
    if mode not in WINDOW_NORMS:
        raise ConfigError(f"`window_norm` must be one of {WINDOW_NORMS}. Received: window_norm={mode!r}")


def reference_rows(lookback, horizon, season_length):
    """Window row that forecast step h (1-based) is referenced to in "seasonal" mode."""
    return [lookback - season_length + step % season_length for step in range(horizon)]


def drift_span(lookback, season_length):
    """Rows over which "drift" and "seasonal_drift" measure the recent change: one season if it fits, else the window."""
    return season_length if 1 < season_length < lookback else lookback - 1


def reference_fits(mode, lookback, season_length):
    """Whether a window of `lookback` rows holds what `mode`'s reference forecast reads (`check_reference_fits` says why not)."""
    if mode == "seasonal":
        return season_length <= lookback
    if mode == "seasonal_drift":
        return season_length < lookback
    return mode not in ("drift", "damped") or lookback >= 2


def check_reference_fits(mode, lookback, season_length):
    """Raises a ConfigError when the window is too short for `mode`'s reference forecast."""
    if reference_fits(mode, lookback, season_length):
        return
    needs, instead = {
        "seasonal": ("a lookback of at least one season", "Raise the lookback or use window_norm='last'."),
        "seasonal_drift": ("a lookback longer than one season", "Raise the lookback or use window_norm='seasonal'."),
        "drift": ("a lookback of at least 2 rows to measure a drift", "Raise the lookback or use window_norm='last'."),
        "damped": ("a lookback of at least 2 rows to smooth", "Raise the lookback or use window_norm='last'."),
    }[mode]
    raise ConfigError(f"window_norm={mode!r} needs {needs}: lookback={lookback}, season_length={season_length}. {instead}")


def reference_forecast(windows, mode, horizon, season_length=1, smoothing=None):
    """The simple forecast that `mode` references the network's output to, from each window alone.

    "last": the last value (naive); "drift": the last value plus, at step h,
    h times the mean change per row over the last `drift_span` rows;
    "seasonal": the value one season before (seasonal naive);
    "seasonal_drift": that value plus the change over the last season, once
    per season ahead; "damped": damped-trend exponential smoothing over the
    window with the coefficients `smoothing` (`models.smoothing`). Works on
    numpy arrays and on tensors.

    Args:
        windows: (batch, lookback, channels).
        mode: one of `REFERENCE_NORMS`.
        horizon: forecast steps.
        season_length: the season of the seasonal modes (and the drift's span).
        smoothing: "damped"'s `(alpha, beta, phi)`; None for `DEFAULT_SMOOTHING`.

    Returns:
        (batch, steps, channels): steps is 1 for "last" (the same value at
        every step), else `horizon`.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[1.0], [2.0], [4.0], [5.0]]], dtype="float32")
    >>> [round(float(v), 3) for v in np.asarray(reference_forecast(x, "drift", 2))[0, :, 0]]  # 4/3 per row over the window
    [6.333, 7.667]
    >>> np.asarray(reference_forecast(x, "seasonal_drift", 3, season_length=2))[0, :, 0].tolist()
    [7.0, 8.0, 10.0]
    """
    lookback = windows.shape[1]
    check_reference_fits(mode, lookback, season_length)
    last = windows[:, -1:, :]
    if mode == "last":
        return last
    if mode == "damped":
        weights = damped_weights(lookback, horizon, DEFAULT_SMOOTHING if smoothing is None else smoothing)
        return ops.einsum("blc,lh->bhc", windows, ops.convert_to_tensor(weights, dtype=keras.backend.standardize_dtype(windows.dtype)))
    if mode in SEASONAL_NORMS:
        base = ops.take(windows, reference_rows(lookback, horizon, season_length), axis=1)
    else:
        base = ops.repeat(last, horizon, axis=1)
    if mode == "seasonal":
        return base
    span = drift_span(lookback, season_length)
    change = last - windows[:, lookback - 1 - span: lookback - span, :]
    if mode == "drift":
        multiples = np.arange(1, horizon + 1, dtype="float32") / span
    else:
        multiples = (np.arange(horizon) // season_length + 1).astype("float32")
    multiples = ops.convert_to_tensor(multiples[None, :, None], dtype=change.dtype)
    return base + change * multiples


def window_norm_scales(windows, targets, mode, target_channels, channels=None, season_length=1, smoothing=None):
    """Fits the two scale vectors of `WindowNormalization` on training windows.

    `input_scale` is the spread of the window-relative inputs and `delta_scale`
    the spread of what the network has to predict (target minus its naive or
    seasonal-naive reference), per input channel. Dividing by them keeps the
    network working at unit scale even when the changes are tiny next to the
    level (prices) or to the seasonal swing (temperatures).

    Args:
        windows: training input windows (n, lookback, n_features), scaled.
        targets: their targets (n, horizon, n_targets), scaled.
        mode: one of `REFERENCE_NORMS` or "es" (other modes need no scales: returns None, None).
        target_channels: input channel of each target.
        channels: the normalised channels (default: all).
        season_length: season of the seasonal modes (and the span of the drift).
        smoothing: "damped"'s coefficients (see `reference_forecast`).

    Returns:
        `(input_scale, delta_scale)` as lists of floats, one per input channel.

    Example:
    >>> import numpy as np
    >>> x = np.cumsum(np.ones((4, 5, 1)), axis=1)
    >>> window_norm_scales(x, x[:, -1:, :] + 2.0, "last", [0])[1]  # targets 2 above the last value
    [2.0]
    """
    if mode == "es":
        return _es_scales(windows, targets, target_channels, channels, season_length)
    if mode not in REFERENCE_NORMS:
        return None, None
    windows = np.asarray(windows, dtype="float64")
    targets = np.asarray(targets, dtype="float64")
    n_features = windows.shape[-1]
    channels = range(n_features) if channels is None else channels
    relative = windows - windows[:, -1:, :]
    input_scale = np.ones(n_features)
    delta_scale = np.ones(n_features)
    for channel in channels:
        input_scale[channel] = _spread(relative[:, :-1, channel])
    reference = np.asarray(reference_forecast(windows, mode, targets.shape[1], season_length, smoothing), dtype="float64")
    for position, channel in enumerate(target_channels):
        delta_scale[channel] = _spread(targets[:, :, position] - reference[:, :, channel])
    return input_scale.tolist(), delta_scale.tolist()


def _es_scales(windows, targets, target_channels, channels, season_length):
    """"es" scales: the spreads of the inputs and targets around the smoothed level and season (initial coefficients)."""
    windows = np.asarray(windows, dtype="float32")
    targets = np.asarray(targets, dtype="float64")
    layer = WindowNormalization("es", channels=channels, horizon=targets.shape[1], season_length=season_length)
    normalised, shift, _ = (np.asarray(part, dtype="float64") for part in layer(windows))
    n_features = windows.shape[-1]
    channels = range(n_features) if channels is None else channels
    input_scale, delta_scale = np.ones(n_features), np.ones(n_features)
    for channel in channels:
        input_scale[channel] = _spread(normalised[:, :, channel])
    for position, channel in enumerate(target_channels):
        delta_scale[channel] = _spread(targets[:, :, position] - shift[:, :, channel])
    return input_scale.tolist(), delta_scale.tolist()


def _spread(values):
    """Root mean square (deviations from the reference, so not centred); 1 when there is none."""
    spread = float(np.sqrt(np.mean(np.square(values)))) if values.size else 0.0
    return spread if spread > 1e-8 else 1.0


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class WindowNormalization(keras.layers.Layer):
    """Expresses each input window relative to its own level.

    A scaler fit on the training part saturates once a series leaves the
    training range (prices, trending sales); a window expressed relative to its
    own recent values looks the same at any level, and the model only has to
    learn a correction to a naive forecast.

    Args:
        mode: "last" subtracts each channel's last value in the window and
            references forecasts to it (naive forecast + learned change);
            "drift" normalises the inputs as "last" and references step h to
            the last value plus h times the recent drift (`reference_forecast`);
            "seasonal" does the same to the inputs, adds the seasonal
            differences x[t] - x[t - m] as extra channels, and references the
            forecast of step h to the value one season earlier (seasonal naive
            + learned change); "seasonal_drift" is "seasonal" with the change
            over the last season added to the reference, once per season
            ahead; "damped" normalises the inputs as "last" and references
            the forecast to damped-trend exponential smoothing over the window
            with the fixed coefficients `smoothing` (`models.smoothing`); "mean" subtracts the window mean and divides by
            the window's standard deviation; "es" (after Smyl's ES-RNN)
            removes the window's exponentially smoothed level and additive
            seasonality, and references the forecast of step h to the level
            plus the season's index for that step. The smoothing coefficients
            (alpha for the level, gamma for the seasonality, one per channel)
            are trainable weights, learned with the network; "none" passes
            the window through.
        channels: input channels to normalise (others, e.g. calendar
            channels, pass through); None means all.
        horizon: forecast steps (used by "seasonal").
        smoothing: "damped"'s `(alpha, beta, phi)`; None for `DEFAULT_SMOOTHING`.
        season_length: season in steps (used by "seasonal" (at most the
            lookback) and "es" (seasonality when two seasons fit in the window)).
        input_scale: per-channel divisor of the relative inputs (see
            `window_norm_scales`); None for 1.
        delta_scale: per-channel divisor of the change the network predicts;
            None for 1.
        epsilon: added to the variance in "mean" mode.

    Returns:
        `(normalised, shift, scale)`: the network's input, and the per-step
        reference (batch, horizon or 1, n_features) and scale (batch, 1,
        n_features) that `WindowDenormalization` applies to its output.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[1.0], [2.0], [4.0]]], dtype="float32")
    >>> normalised, shift, scale = WindowNormalization("last")(x)
    >>> np.asarray(normalised)[0, :, 0].tolist(), np.asarray(shift).tolist()
    ([-3.0, -2.0, 0.0], [[[4.0]]])
    >>> _, shift, _ = WindowNormalization("seasonal", horizon=3, season_length=2)(x)
    >>> np.asarray(shift)[0, :, 0].tolist()
    [2.0, 4.0, 2.0]
    """

    def __init__(
        self,
        mode="last",
        channels=None,
        horizon=1,
        season_length=1,
        input_scale=None,
        delta_scale=None,
        epsilon=1e-5,
        smoothing=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_window_norm(mode)
        if mode == "seasonal" and season_length < 1:
            raise ConfigError(f"`season_length` must be positive. Received: season_length={season_length}")
        self.mode = mode
        self.channels = None if channels is None else [int(c) for c in channels]
        self.horizon = int(horizon)
        self.season_length = int(season_length)
        self._scales = [None if values is None else [float(v) for v in values] for values in (input_scale, delta_scale)]
        self._scale_variables = ()  # built for the modes that divide by the scales (`SCALED_NORMS`)
        self.epsilon = float(epsilon)
        self.smoothing = None if smoothing is None else list(check_smoothing(smoothing))

    def build(self, input_shape):
        lookback, n_features = input_shape[1], input_shape[-1]
        if self.mode in REFERENCE_NORMS and lookback is not None:
            check_reference_fits(self.mode, lookback, self.season_length)
        self._channel_list = list(range(n_features)) if self.channels is None else self.channels
        self._mask = ops.convert_to_tensor(
            [1.0 if c in self._channel_list else 0.0 for c in range(n_features)], dtype=self.compute_dtype
        )
        if self.mode in SCALED_NORMS:  # variables, not constants: a new origin's scales need no new trace
            self._scale_variables = tuple(self.add_weight(name=name, shape=(n_features,), initializer="ones",
                                                          trainable=False) for name in ("input_scale", "delta_scale"))
            for variable, values in zip(self._scale_variables, self._scales):
                if values is not None:
                    variable.assign(np.asarray(values, dtype=variable.dtype))
        self._lookback = lookback
        if self.mode == "es":
            initial = [float(np.log(c / (1.0 - c))) for c in ES_INITIAL]
            self.alpha_logit = self.add_weight(name="alpha_logit", shape=(n_features,),
                                               initializer=keras.initializers.Constant(initial[0]))
            self.gamma_logit = self.add_weight(name="gamma_logit", shape=(n_features,),
                                               initializer=keras.initializers.Constant(initial[1]))

    def call(self, inputs):
        last = inputs[:, -1:, :]
        if self.mode == "es":
            return self._smoothed(inputs)
        if self.mode == "none":
            return inputs, ops.zeros_like(last), ops.ones_like(last)
        if self.mode == "mean":
            shift = ops.mean(inputs, axis=1, keepdims=True) * self._mask
            spread = ops.sqrt(ops.var(inputs, axis=1, keepdims=True) + self.epsilon)
            scale = spread * self._mask + (1.0 - self._mask)
            return (inputs - shift) / scale, shift, scale
        input_scale, delta_scale = self._scale_tensors()
        normalised = (inputs - last * self._mask) / input_scale
        scale = ops.ones_like(last) * delta_scale
        shift = reference_forecast(inputs, self.mode, self.horizon, self.season_length, self.smoothing) * self._mask
        if self.mode not in SEASONAL_NORMS:
            return normalised, shift, scale
        season = self.season_length
        differences = (inputs[:, season:, :] - inputs[:, :-season, :]) / delta_scale
        differences = ops.pad(differences, [[0, 0], [season, 0], [0, 0]])
        differences = ops.take(differences, self._channel_list, axis=-1)
        return ops.concatenate([normalised, differences], axis=-1), shift, scale

    def _smoothed(self, inputs):
        """ "es": level and season by exponential smoothing over the window, in closed form (weights, not a loop).

        The season's indices are a weighted mean of each full season in the
        window (the newest last), centred on its own mean, with weights
        (1 - gamma)^age; the level is a weighted mean of the deseasonalised
        rows with weights (1 - alpha)^age. alpha near 1 is the last value, near
        0 the window's mean.
        """
        lookback, season = self._lookback, self.season_length
        cycles = lookback // season if season > 1 else 0
        if cycles >= 2:
            tail = ops.reshape(inputs[:, lookback - cycles * season:, :], (-1, cycles, season, inputs.shape[-1]))
            centred = tail - ops.mean(tail, axis=2, keepdims=True)
            weights = _decay_weights(self.gamma_logit, cycles)  # (cycles, channels)
            indices = ops.sum(centred * weights[None, :, None, :], axis=1)  # (batch, season, channels)
            seasonal = ops.take(indices, [(row - lookback) % season for row in range(lookback)], axis=1)
            ahead = ops.take(indices, [step % season for step in range(self.horizon)], axis=1)
        else:
            seasonal, ahead = ops.zeros_like(inputs), ops.repeat(ops.zeros_like(inputs[:, :1, :]), self.horizon, axis=1)
        level = ops.sum((inputs - seasonal) * _decay_weights(self.alpha_logit, lookback)[None], axis=1, keepdims=True)
        input_scale, delta_scale = self._scale_tensors()
        normalised = (inputs - (seasonal + level) * self._mask) / input_scale
        scale = ops.ones_like(level) * delta_scale
        return normalised, (level + ahead) * self._mask, scale

    def compute_output_spec(self, inputs):
        batch, lookback, n_features = inputs.shape
        steps = 1 if self.mode in ("none", "mean", "last") else self.horizon
        extra = len(self.channels if self.channels is not None else range(n_features)) if self.mode in SEASONAL_NORMS else 0
        # Distinct tensors: the functional API tells outputs apart by identity.
        return (
            keras.KerasTensor((batch, lookback, n_features + extra), dtype=inputs.dtype),
            keras.KerasTensor((batch, steps, n_features), dtype=inputs.dtype),
            keras.KerasTensor((batch, 1, n_features), dtype=inputs.dtype),
        )

    @property
    def input_scale(self):
        """Per-channel divisor of the relative inputs (a list; None where it was never set): the variable's values once built."""
        return self._scale_values(0)

    @property
    def delta_scale(self):
        """Per-channel divisor of the change the network predicts, as `input_scale`."""
        return self._scale_values(1)

    def _scale_values(self, index):
        if self._scale_variables:
            return [float(v) for v in self._scale_variables[index].numpy()]  # not np.array(variable): NumPy 2 deprecates its __array__
        return self._scales[index]

    def _scale_tensors(self):
        return tuple(ops.cast(variable, self.compute_dtype) for variable in self._scale_variables)

    def load_own_variables(self, store):
        """Loads the layer's variables; a bundle saved before the scales were variables keeps them from its config."""
        if self._scale_variables and len(store.keys()) == len(self._trainable_variables):
            for index, variable in enumerate(self._trainable_variables):
                variable.assign(store[f"{index}"])
            return
        super().load_own_variables(store)

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "channels": self.channels,
            "horizon": self.horizon,
            "season_length": self.season_length,
            "input_scale": self.input_scale,
            "delta_scale": self.delta_scale,
            "epsilon": self.epsilon,
            "smoothing": self.smoothing,
        }


def _decay_weights(logit, steps):
    """Weights (1 - c)^age / sum over `steps` rows, oldest first, for c = sigmoid(logit) per channel: (steps, channels)."""
    ages = ops.convert_to_tensor(np.arange(steps - 1, -1, -1, dtype="float32"))
    log_weights = ages[:, None] * ops.log_sigmoid(-logit)[None, :]
    return ops.softmax(log_weights, axis=0)
