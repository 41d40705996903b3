"""Forecasting models: windows to multi-step forecasts (stacked or seq2seq), and models that carry their state."""

from __future__ import annotations

import dataclasses

import numpy as np

from lstm_toolkit.backend import keras
from lstm_toolkit.errors import ConfigError, check_integer
from lstm_toolkit.models import distribution
from lstm_toolkit.models.config import (  # noqa: F401 (the examples use ModelConfig)
    ARCHITECTURES,
    ATTENTIONS,
    CELLS,
    CLASSIFIER_ARCHITECTURES,
    ROCKET_ARCHITECTURES,
    STATE_PARTS,
    ModelConfig,
    require_units,
)
from lstm_toolkit.models.distribution import DEFAULT_QUANTILES
from lstm_toolkit.models.ensemble import ensemble_model
from lstm_toolkit.models.denormalization import LastValueResidual, WindowDenormalization
from lstm_toolkit.models.normalization import SEASONAL_NORMS, WindowNormalization
from lstm_toolkit.models.recurrent import LearnedQueries, dense_head, recurrent_stack, warn_if_not_cudnn
from lstm_toolkit.models.segment import segment_forecaster


def _sizes(lookback, n_features, horizon, n_targets, n_future, n_series, n_static):
    """`(lookback, n_features, horizon, n_targets)` as ints once they and the other counts are checked."""
    for value, argument in ((n_future, "n_future"), (n_series, "n_series"), (n_static, "n_static")):
        check_integer(value, argument, 0)
    return tuple(check_integer(value, argument) for value, argument in (
        (lookback, "lookback"), (n_features, "n_features"), (horizon, "horizon"), (n_targets, "n_targets")))


def build_model(
    config,
    lookback,
    n_features,
    horizon=1,
    n_targets=1,
    target_channels=None,
    normalized_channels=None,
    norm_scales=(None, None),
    n_future=0,
    n_series=0,
    series_embedding=0,
    n_static=0,
    loss="mse",
    quantiles=DEFAULT_QUANTILES,
    name="forecaster",
    crop=None,
):
    """Builds an uncompiled functional `keras.Model` mapping windows to forecasts.

    Every recurrent layer but the last returns sequences; the last returns its
    final state, which a Dense head maps to `(horizon, n_targets)`.

    Args:
        config: a `ModelConfig`.
        lookback: time steps per input window.
        n_features: input channels.
        horizon: forecast steps (direct multi-step output).
        n_targets: target series.
        target_channels: input channel of each target; needed by a window
            normalisation that maps outputs back to levels (default: the first
            `n_targets` channels).
        normalized_channels: input channels the window normalisation applies to
            (default: all).
        norm_scales: `(input_scale, delta_scale)` of the window normalisation,
            fit on training windows with `window_norm_scales`.
        n_future: channels known ahead over the horizon (future covariates,
            calendar features), given as a second input "future"
            `(horizon, n_future)`. The seq2seq decoder reads them at each
            forecast step next to its learned query; a stacked model joins
            them, flattened, to its last state before the head.
        n_series, series_embedding: a model of many series learns a vector of
            `series_embedding` numbers per series code (an int32 input
            "series" `(1,)`, codes below `n_series`).
        n_static: static features per series (a float input "static"
            `(n_static,)`). The embedding and the static features are joined
            to every step of the (normalised) window.
        loss: "mse" or "mae" for point forecasts; "quantile", "gaussian" or
            "student_t" add a last axis of distribution parameters to the
            output (see `models.distribution`).
        quantiles: the levels of a "quantile" model.
        name: the model's name.
        crop: read only the last `crop` steps of the window (a member of an
            ensemble across lookbacks); None: all `lookback` of them.

    With `config.members` k > 1 the model holds k such networks, initialised
    differently, and outputs the median of their point forecasts (the mean of
    their distribution parameters); see `models.ensemble`. With
    `config.member_lookbacks` each member reads the last that many steps of
    the window, through its own normalisation, reference and highway.

    Returns:
        A `keras.Model` from `(batch, lookback, n_features)` to
        `(batch, horizon, n_targets)`. Compile it with `training.compile_model`.

    Example:
    >>> model = build_model(ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,)),
    ...                     lookback=60, n_features=1)
    >>> sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)  # the tutorial's weights
    118081
    """
    if config.architecture in CLASSIFIER_ARCHITECTURES + ROCKET_ARCHITECTURES:
        raise ConfigError(
            f"architecture={config.architecture!r} classifies whole sequences (SequenceClassifier); a forecaster's "
            f"architecture is one of {ARCHITECTURES}."
        )
    require_units(config)
    lookback, n_features, horizon, n_targets = _sizes(lookback, n_features, horizon, n_targets, n_future, n_series,
                                                      n_static)
    if config.members > 1:  # an ensemble: k networks side by side in one model (see `models.ensemble`)
        arguments = {k: v for k, v in locals().items() if k not in ("config", "name", "crop")}
        single = dataclasses.replace(config, members=1, member_lookbacks=())
        crops = _member_crops(config.member_lookbacks, config.members, lookback)
        members = [build_model(single, **arguments, name=f"member_{m + 1}", crop=c) for m, c in enumerate(crops)]
        return ensemble_model(members, combine="median" if loss == "mse" else "mean", name=name)
    warn_if_not_cudnn(config)
    window_norm = "last" if config.window_norm == "auto" else config.window_norm
    if window_norm in SEASONAL_NORMS and config.season_length is None:
        raise ConfigError(f"window_norm={window_norm!r} needs `season_length` (steps per season) in the ModelConfig.")
    inputs = keras.Input(shape=(lookback, n_features), name="window")
    future = None
    if n_future:
        future = keras.Input(shape=(horizon, n_future), name="future")
    x = inputs
    if crop is not None and crop < lookback:  # the window's last `crop` steps; what follows sees a window of `crop`
        x = keras.layers.Cropping1D((lookback - crop, 0), name=MEMBER_WINDOW)(x)
        lookback = crop
    if window_norm != "none":
        target_channels = _target_channels(window_norm, target_channels, n_targets)
        x, shift, scale = WindowNormalization(
            window_norm,
            channels=normalized_channels,
            horizon=horizon,
            season_length=config.season_length or 1,
            smoothing=config.smoothing,
            input_scale=norm_scales[0],
            delta_scale=norm_scales[1],
            name="window_norm",
        )(x)
    highway = _highway(x, horizon, n_targets) if config.highway else None  # "auto" alone: True
    context_inputs, context = [], []
    if n_series and series_embedding:
        codes = keras.Input(shape=(1,), dtype="int32", name="series")
        embedded = keras.layers.Embedding(n_series, series_embedding, name="series_embedding")(codes)
        context_inputs.append(codes)
        context.append(keras.layers.Flatten(name="series_vector")(embedded))
    if n_static:
        static = keras.Input(shape=(n_static,), name="static")
        context_inputs.append(static)
        context.append(static)
    if context:
        joined = context[0] if len(context) == 1 else keras.layers.Concatenate(name="context")(context)
        x = keras.layers.Concatenate(name="with_context")([x, keras.layers.RepeatVector(lookback, name="context_steps")(joined)])
    n_params = distribution.n_params(loss, quantiles)
    if config.architecture == "seq2seq":
        outputs = _seq2seq(config, x, horizon, n_targets, future, n_params)
    elif config.architecture == "segment":
        outputs = segment_forecaster(config, x, lookback, horizon, n_targets, n_params, future)
    else:
        outputs = _stacked(config, x, horizon, n_targets, n_params, future)
    if highway is not None:
        outputs = _add_highway(outputs, highway, horizon, n_targets, n_params)
    if n_params:
        outputs = distribution.DistributionParameters(loss, name="distribution")(outputs)
        if window_norm != "none":
            outputs = distribution.DistributionDenormalization(target_channels, loss, n_params, name=DENORMALIZATION_LAYER)(
                [outputs, shift, scale]
            )
    elif window_norm != "none":
        outputs = WindowDenormalization(target_channels, name=DENORMALIZATION_LAYER)([outputs, shift, scale])
    all_inputs = [inputs] + ([] if future is None else [future]) + context_inputs
    return keras.Model(all_inputs if len(all_inputs) > 1 else inputs, outputs, name=name)


def _member_crops(member_lookbacks, members, lookback):
    """The steps each member reads: `member_lookbacks`, or the whole window for every member of a seed ensemble."""
    if not member_lookbacks:
        return [None] * members
    check_member_lookbacks(member_lookbacks, lookback)
    return list(member_lookbacks)


def check_member_lookbacks(member_lookbacks, lookback):
    """Raises a ConfigError when a member of an ensemble across lookbacks would read more rows than the window holds.

    >>> check_member_lookbacks((6, 8, 12), 12)
    >>> check_member_lookbacks((6, 12), 8)
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: An ensemble across lookbacks reads each member's rows from the end of one window of 8 rows, so no member may be longer than lookback=8. Received: member lookbacks (6, 12); set lookback=12 or drop the longer members.
    """
    if member_lookbacks and max(member_lookbacks) > lookback:
        raise ConfigError(
            f"An ensemble across lookbacks reads each member's rows from the end of one window of {lookback} rows, so "
            f"no member may be longer than lookback={lookback}. Received: member lookbacks {tuple(member_lookbacks)}; "
            f"set lookback={max(member_lookbacks)} or drop the longer members."
        )


HIGHWAY_LAYER = "highway"
MEMBER_WINDOW = "member_window"  # the crop to a member's lookback in an ensemble across lookbacks
DENORMALIZATION_LAYER = "window_denorm"  # (forecast, reference, scale) -> the forecast in levels


def _highway(window, horizon, n_targets):
    """LSTNet's highway: a linear map of the whole (normalised) window to `horizon * n_targets` values, starting at zero.

    No bias: the network's output layer has one.
    """
    flat = keras.layers.Flatten(name="highway_window")(window)
    return keras.layers.Dense(horizon * n_targets, use_bias=False, kernel_initializer="zeros", name=HIGHWAY_LAYER)(flat)


def _add_highway(outputs, highway, horizon, n_targets, n_params):
    """The network's forecast plus the highway's: to the point forecast, or to the first (location) raw parameter.

    A point forecast adds them flat and reshapes after: TensorFlow Lite's
    converter (TF 2.21) fails on the sum of two reshaped Dense outputs.
    """
    if n_params:
        shift = keras.layers.Reshape((horizon, n_targets), name="highway_forecast")(highway)
        return distribution.ShiftLocation(name="with_highway")([outputs, shift])
    flat = keras.layers.Add(name="with_highway")([keras.layers.Flatten(name="network_forecast")(outputs), highway])
    return keras.layers.Reshape((horizon, n_targets), name="forecast_with_highway")(flat)


def _stacked(config, x, horizon, n_targets, n_params=0, future=None):
    x = recurrent_stack(config, x)
    if future is not None:  # known-future inputs join the last state before the head
        x = keras.layers.Concatenate(name="with_future")([x, keras.layers.Flatten(name="future_flat")(future)])
    x = dense_head(config, x, horizon * n_targets * max(n_params, 1))
    return keras.layers.Reshape((horizon, n_targets, n_params) if n_params else (horizon, n_targets), name="forecast")(x)


def _seq2seq(config, x, horizon, n_targets, future=None, n_params=0):
    """Encoder-decoder with attention over the encoder states (see `ModelConfig.architecture`).

    The decoder's input at each forecast step is a learned query, joined by the
    step's known-future inputs (`future`, e.g. calendar features) when given.
    """
    x, states = recurrent_stack(config, x, return_sequences=True, return_state=True)
    states = states[-1]  # the decoder starts from the encoder's last layer
    recurrent = CELLS[config.cell]
    units = config.units[-1]
    queries = LearnedQueries(horizon, units, name="decoder_queries")(x)
    if future is not None:
        queries = keras.layers.Concatenate(name="decoder_inputs")([queries, future])
    decoded = recurrent(
        units, return_sequences=True, recurrent_dropout=config.recurrent_dropout, name=f"decoder_{config.cell}"
    )(queries, initial_state=states)
    if config.attention != "none":
        context = ATTENTIONS[config.attention](name="attention")([decoded, x], return_attention_scores=True)[0]
        decoded = keras.layers.Concatenate(name="decoder_context")([decoded, context])
    outputs = dense_head(config, decoded, n_targets * max(n_params, 1))
    if n_params:
        outputs = keras.layers.Reshape((horizon, n_targets, n_params), name="forecast")(outputs)
    return outputs


def _target_channels(window_norm, target_channels, n_targets):
    target_channels = list(range(n_targets)) if target_channels is None else list(target_channels)
    if any(c is None for c in target_channels):
        raise ConfigError(
            f"window_norm={window_norm!r} expresses forecasts relative to each target's "
            "own recent values, so every target must also be an input feature. Add the "
            "targets to `features`, or use window_norm='none'."
        )
    return target_channels


# --- models that carry their state from step to step ---------------------------------

SEQUENCE_NORMS = ("none", "last")


def state_names(config):
    """Names of the recurrent states of a sequence model, in input/output order.

    Example:
    >>> state_names(ModelConfig(units=(8, 4)))
    ['lstm_1_h', 'lstm_1_c', 'lstm_2_h', 'lstm_2_c']
    >>> state_names(ModelConfig(units=(8,), cell="gru"))
    ['gru_1_h']
    """
    parts = STATE_PARTS[config.cell]
    return [f"{config.cell}_{depth}_{part}" for depth in range(1, len(config.units) + 1) for part in parts]


def state_sizes(config):
    """Width of each state in `state_names` order."""
    per_layer = len(STATE_PARTS[config.cell])
    return [units for units in config.units for _ in range(per_layer)]


def check_streamable(config):
    """Raises a ConfigError when `config` cannot run step by step, carrying its state."""
    if config.architecture != "stacked":
        raise ConfigError(
            f"architecture={config.architecture!r} decodes the horizon from a whole encoded window; a "
            "model that carries its state step by step must be architecture='stacked'. A seq2seq "
            "window model streams through a ring buffer instead (stateful=False)."
        )
    if config.bidirectional:
        raise ConfigError(
            "A bidirectional layer reads each sequence backwards from its end as well, so it "
            "needs the whole window up front and cannot update one step at a time. Use "
            "bidirectional=False for stateful (streaming) models; a window-trained model may be "
            "bidirectional and streams through a ring buffer instead."
        )
    if config.highway is True:
        raise ConfigError(
            "highway=True maps a whole window linearly to the forecast, and a model that carries its state step by "
            "step sees one row at a time; use highway=False (or 'auto') with stateful=True."
        )
    window_norm = "last" if config.window_norm == "auto" else config.window_norm
    if window_norm not in SEQUENCE_NORMS:
        raise ConfigError(
            f"window_norm={window_norm!r} needs a whole window, which a model that carries its "
            "state step by step does not see. With stateful=True use window_norm='last' (the "
            "default: forecasts relative to the current value) or 'none'; the global scaler "
            "('standard', 'minmax' or 'none', fit on the training part) applies as usual."
        )
    return window_norm


def build_sequence_model(
    config,
    n_features,
    horizon=1,
    n_targets=1,
    target_channels=None,
    delta_scale=None,
    stateful=False,
    batch_size=None,
    name="sequence_forecaster",
):
    """Builds a model that forecasts at every time step, carrying its recurrent state.

    Every recurrent layer returns sequences, and the Dense head maps each
    step's output to the forecast of the `horizon` steps after it. Two forms
    share the same layers, so weights move between them with `set_weights`:

    - `stateful=True` (training): Keras stateful layers with a fixed
      `batch_size`; the state of each batch row carries over to the next batch
      (truncated back-propagation through time: gradients stop at chunk
      boundaries). Input `(batch_size, None, n_features)`, output
      `(batch_size, time, horizon, n_targets)`.
    - `stateful=False` (inference, streaming and export): the states are explicit
      inputs and outputs. Inputs `[x, *states]`, outputs `[forecasts, *states]`,
      with the states named by `state_names(config)`; any batch size and any
      sequence length, one step included.

    Args:
        config: a `ModelConfig` (not bidirectional; window_norm "last"/"auto" or "none").
        n_features, horizon, n_targets, target_channels: as for `build_model`.
        delta_scale: per input channel, the scale of the step changes of the
            "last" normalisation (see `LastValueResidual`).
        stateful: which form (above).
        batch_size: the fixed batch of the stateful form.
        name: the model's name.

    Example:
    >>> import numpy as np
    >>> config = ModelConfig(units=(8, 4))
    >>> model = build_sequence_model(config, n_features=1, horizon=3)
    >>> x = np.zeros((2, 5, 1), "float32")
    >>> states = [np.zeros((2, size), "float32") for size in state_sizes(config)]
    >>> forecasts, *new_states = model([x, *states])
    >>> tuple(forecasts.shape), len(new_states)
    ((2, 5, 3, 1), 4)
    """
    window_norm = check_streamable(config)
    warn_if_not_cudnn(config)
    if window_norm == "last":
        target_channels = _target_channels(window_norm, target_channels, n_targets)
    if stateful:
        if batch_size is None:
            raise ConfigError("A stateful sequence model needs a fixed `batch_size`.")
        inputs = keras.Input(batch_shape=(batch_size, None, n_features), name="x")
        state_inputs = []
    else:
        inputs = keras.Input(shape=(None, n_features), name="x")
        state_inputs = [
            keras.Input(shape=(size,), name=state) for state, size in zip(state_names(config), state_sizes(config))
        ]
    per_layer = len(STATE_PARTS[config.cell])
    if stateful:
        x = recurrent_stack(config, inputs, return_sequences=True, stateful=True)
        state_outputs = []
    else:
        initial = [state_inputs[k * per_layer : (k + 1) * per_layer] for k in range(len(config.units))]
        x, final = recurrent_stack(config, inputs, return_sequences=True, return_state=True, initial_states=initial)
        state_outputs = [state for layer_states in final for state in layer_states]
    x = dense_head(config, x, horizon * n_targets)
    outputs = keras.layers.Reshape((-1, horizon, n_targets), name="forecast")(x)
    if window_norm == "last":
        outputs = LastValueResidual(target_channels, delta_scale=delta_scale, name="last_value")([outputs, inputs])
    if stateful:
        return keras.Model(inputs, outputs, name=name)
    return keras.Model([inputs, *state_inputs], [outputs, *state_outputs], name=name)
