"""Model factory: functional-API stacked recurrent models built from a small config."""

from __future__ import annotations

import dataclasses
import warnings


from lstm_toolkit.backend import keras, ops
from lstm_toolkit import probabilistic
from lstm_toolkit.cells import PeepholeLSTM
from lstm_toolkit.data.normalization import (
    LastValueResidual,
    WindowDenormalization,
    WindowNormalization,
    _check_mode,
)
from lstm_toolkit.errors import ConfigError, CuDNNWarning
from lstm_toolkit.probabilistic import DEFAULT_QUANTILES

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "peephole": PeepholeLSTM}
# The recurrent states each cell carries, in Keras' order.
STATE_PARTS = {"lstm": ("h", "c"), "gru": ("h",), "peephole": ("h", "c")}
ARCHITECTURES = ("stacked", "seq2seq")
ATTENTIONS = {"dot": keras.layers.Attention, "additive": keras.layers.AdditiveAttention, "none": None}


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The architecture of a recurrent forecaster.

    Args:
        units: units of each stacked recurrent layer, first to last. The
            practitioner's start is 1-2 layers of 64-128 units.
        cell: "lstm", "gru" or "peephole" (an LSTM whose gates also see the
            cell state, `cells.PeepholeLSTMCell`; no cuDNN kernel).
        bidirectional: wrap each recurrent layer in `Bidirectional` (fine over
            a lookback window, which is all past; not for step-by-step streaming).
        dropout: rate of the `Dropout` between recurrent layers and before the head.
        recurrent_dropout: dropout on the recurrent state (disables cuDNN on GPU).
        dense_units: hidden Dense layers of the head.
        dense_activation: activation of those hidden Dense layers.
        output_activation: activation of the output layer ("linear" for regression).
        window_norm: "none", "last", "seasonal" or "mean": window-relative
            normalisation done inside the model (see `data.WindowNormalization`).
            "auto" (the default) lets the Forecaster pick "last" or "seasonal",
            whichever naive forecast is better on the training data;
            `build_model` alone treats it as "last".
        season_length: the season of window_norm="seasonal", in steps (the
            Forecaster fills it in from the data's frequency).
        architecture: "stacked" (the default: the last layer's final state
            feeds a Dense head that outputs every step at once) or "seq2seq":
            an encoder-decoder. The encoder (the stacked layers) returns all
            its hidden states and its final state; a decoder of the same cell,
            started from that state, runs over the `horizon` future steps
            (its inputs: a learned query per step, plus the step's calendar
            features when the Forecaster has `calendar=`) and at each step attends
            over the encoder states; a shared Dense head maps each step's
            decoder output and attention context to its forecast.
        attention: the seq2seq attention: "dot" (Luong, `keras.layers.Attention`),
            "additive" (Bahdanau, `keras.layers.AdditiveAttention`) or "none".
            `inspect.attention_weights` returns its weights.

    Example:
    >>> config = ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,))
    >>> ModelConfig.from_dict(config.to_dict()) == config
    True
    """

    units: tuple = (64,)
    cell: str = "lstm"
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    dense_units: tuple = ()
    dense_activation: str = "relu"
    output_activation: str = "linear"
    window_norm: str = "auto"
    season_length: int | None = None
    architecture: str = "stacked"
    attention: str = "dot"

    def __post_init__(self):
        object.__setattr__(self, "units", tuple(int(u) for u in _as_sequence(self.units)))
        object.__setattr__(self, "dense_units", tuple(int(u) for u in _as_sequence(self.dense_units)))
        if not self.units or any(u < 1 for u in self.units):
            raise ConfigError(f"`units` must be one or more positive integers. Received: units={self.units}")
        if any(u < 1 for u in self.dense_units):
            raise ConfigError(f"`dense_units` must be positive integers. Received: dense_units={self.dense_units}")
        if self.cell not in CELLS:
            raise ConfigError(f"`cell` must be one of {list(CELLS)}. Received: cell={self.cell!r}")
        for name in ("dropout", "recurrent_dropout"):
            rate = getattr(self, name)
            if not 0.0 <= rate < 1.0:
                raise ConfigError(f"`{name}` must lie in [0, 1). Received: {name}={rate}")
        if self.window_norm != "auto":
            _check_mode(self.window_norm)
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"`architecture` must be one of {ARCHITECTURES}. Received: architecture={self.architecture!r}")
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"`attention` must be one of {list(ATTENTIONS)}. Received: attention={self.attention!r}")
        if self.architecture == "seq2seq" and self.bidirectional:
            raise ConfigError(
                "architecture='seq2seq' starts its one-way decoder from the encoder's final state, "
                "which a bidirectional encoder does not have in one piece; use bidirectional=False "
                "with seq2seq, or the stacked architecture with bidirectional=True."
            )
        if self.season_length is not None and (isinstance(self.season_length, bool) or self.season_length < 1):
            raise ConfigError(f"`season_length` must be a positive integer or None. Received: season_length={self.season_length!r}")

    def to_dict(self):
        config = dataclasses.asdict(self)
        config["units"] = list(self.units)
        config["dense_units"] = list(self.dense_units)
        return config

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


def _as_sequence(value):
    return (value,) if isinstance(value, int) else tuple(value)


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
            fit on training windows with `data.window_norm_scales`.
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
        loss: "mse" for point forecasts; "quantile", "gaussian" or
            "student_t" add a last axis of distribution parameters to the
            output (see `probabilistic`).
        quantiles: the levels of a "quantile" model.
        name: the model's name.

    Returns:
        A `keras.Model` from `(batch, lookback, n_features)` to
        `(batch, horizon, n_targets)`. Compile it with `training.compile_model`.

    Example:
    >>> model = build_model(ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,)),
    ...                     lookback=60, n_features=1)
    >>> model.count_params()
    118081
    """
    _warn_if_not_cudnn(config)
    window_norm = "last" if config.window_norm == "auto" else config.window_norm
    if window_norm == "seasonal" and config.season_length is None:
        raise ConfigError("window_norm='seasonal' needs `season_length` (steps per season) in the ModelConfig.")
    inputs = keras.Input(shape=(lookback, n_features), name="window")
    future = None
    if n_future:
        future = keras.Input(shape=(horizon, n_future), name="future")
    x = inputs
    if window_norm != "none":
        target_channels = _target_channels(window_norm, target_channels, n_targets)
        x, shift, scale = WindowNormalization(
            window_norm,
            channels=normalized_channels,
            horizon=horizon,
            season_length=config.season_length or 1,
            input_scale=norm_scales[0],
            delta_scale=norm_scales[1],
            name="window_norm",
        )(x)
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
    n_params = probabilistic.n_params(loss, quantiles)
    if config.architecture == "seq2seq":
        outputs = _seq2seq(config, x, horizon, n_targets, future, n_params)
    else:
        outputs = _stacked(config, x, horizon, n_targets, n_params, future)
    if n_params:
        outputs = probabilistic.DistributionParameters(loss, name="distribution")(outputs)
        if window_norm != "none":
            outputs = probabilistic.DistributionDenormalization(target_channels, loss, n_params, name="window_denorm")(
                [outputs, shift, scale]
            )
    elif window_norm != "none":
        outputs = WindowDenormalization(target_channels, name="window_denorm")([outputs, shift, scale])
    all_inputs = [inputs] + ([] if future is None else [future]) + context_inputs
    return keras.Model(all_inputs if len(all_inputs) > 1 else inputs, outputs, name=name)


def _stacked(config, x, horizon, n_targets, n_params=0, future=None):
    x = _recurrent_stack(config, x, last_returns_sequences=False)
    if future is not None:  # known-future inputs join the last state before the head
        x = keras.layers.Concatenate(name="with_future")([x, keras.layers.Flatten(name="future_flat")(future)])
    x = _dense_head(config, x, horizon * n_targets * max(n_params, 1))
    return keras.layers.Reshape((horizon, n_targets, n_params) if n_params else (horizon, n_targets), name="forecast")(x)


def _seq2seq(config, x, horizon, n_targets, future=None, n_params=0):
    """Encoder-decoder with attention over the encoder states (see `ModelConfig.architecture`).

    The decoder's input at each forecast step is a learned query, joined by the
    step's known-future inputs (`future`, e.g. calendar features) when given.
    """
    recurrent = CELLS[config.cell]
    states = []
    for depth, units in enumerate(config.units, start=1):
        last = depth == len(config.units)
        layer = recurrent(
            units,
            return_sequences=True,
            return_state=last,
            recurrent_dropout=config.recurrent_dropout,
            name=f"{config.cell}_{depth}",
        )
        x = layer(x)
        if last:
            x, *states = x
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{depth}")(x)
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
    outputs = _dense_head(config, decoded, n_targets * max(n_params, 1))
    if n_params:
        outputs = keras.layers.Reshape((horizon, n_targets, n_params), name="forecast")(outputs)
    return outputs


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class LearnedQueries(keras.layers.Layer):
    """One learned vector per forecast step, repeated over the batch: the decoder's inputs.

    Args:
        horizon: forecast steps.
        dim: width of each vector.

    Example:
    >>> import numpy as np
    >>> tuple(LearnedQueries(3, 4)(np.zeros((2, 7, 5), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(self, horizon, dim, **kwargs):
        super().__init__(**kwargs)
        self.horizon = int(horizon)
        self.dim = int(dim)

    def build(self, input_shape):
        self.queries = self.add_weight(shape=(self.horizon, self.dim), initializer="random_normal", name="queries")

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        return ops.broadcast_to(ops.expand_dims(self.queries, 0), (batch, self.horizon, self.dim))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.horizon, self.dim)

    def get_config(self):
        return {**super().get_config(), "horizon": self.horizon, "dim": self.dim}


def _warn_if_not_cudnn(config):
    """Warns (once per call site, Python's default) when `config` rules out the cuDNN kernel."""
    if config.recurrent_dropout > 0:
        reason = "recurrent_dropout > 0 disables"
        advice = "use `dropout` between layers instead unless you need it"
    elif config.cell == "peephole":
        reason = "cell='peephole' cannot use"
        advice = "use cell='lstm' where speed matters more than the peepholes"
    else:
        return
    warnings.warn(
        f"{reason} the fast cuDNN kernel on GPU (training runs several times slower there); {advice}.",
        CuDNNWarning,
        stacklevel=3,
    )


def _target_channels(window_norm, target_channels, n_targets):
    target_channels = list(range(n_targets)) if target_channels is None else list(target_channels)
    if any(c is None for c in target_channels):
        raise ConfigError(
            f"window_norm={window_norm!r} expresses forecasts relative to each target's "
            "own recent values, so every target must also be an input feature. Add the "
            "targets to `features`, or use window_norm='none'."
        )
    return target_channels


def _dense_head(config, x, n_outputs):
    for depth, units in enumerate(config.dense_units, start=1):
        x = keras.layers.Dense(units, activation=config.dense_activation, name=f"dense_{depth}")(x)
    return keras.layers.Dense(n_outputs, activation=config.output_activation, name="output")(x)


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
    _warn_if_not_cudnn(config)
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
    recurrent = CELLS[config.cell]
    per_layer = len(STATE_PARTS[config.cell])
    x = inputs
    state_outputs = []
    for depth, units in enumerate(config.units, start=1):
        layer = recurrent(
            units,
            return_sequences=True,
            return_state=not stateful,
            stateful=stateful,
            recurrent_dropout=config.recurrent_dropout,
            name=f"{config.cell}_{depth}",
        )
        if stateful:
            x = layer(x)
        else:
            initial = state_inputs[(depth - 1) * per_layer : depth * per_layer]
            x, *final = layer(x, initial_state=initial)
            state_outputs.extend(final)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{depth}")(x)
    x = _dense_head(config, x, horizon * n_targets)
    outputs = keras.layers.Reshape((-1, horizon, n_targets), name="forecast")(x)
    if window_norm == "last":
        outputs = LastValueResidual(target_channels, delta_scale=delta_scale, name="last_value")([outputs, inputs])
    if stateful:
        return keras.Model(inputs, outputs, name=name)
    return keras.Model([inputs, *state_inputs], [outputs, *state_outputs], name=name)


# --- spatiotemporal grids ---------------------------------------------------------------


def build_convlstm_model(
    lookback, frame_shape, horizon=1, filters=(16, 16), kernel_size=3, output_activation="sigmoid", name="convlstm"
):
    """A ConvLSTM encoder and a convolutional head that predicts the next `horizon` frames.

    Stacked `keras.layers.ConvLSTM2D` layers (every one but the last returns
    sequences) read `lookback` frames; a `Conv2D` maps the last one's final
    state to `horizon` frames, with a sigmoid for values in [0, 1] (pixel
    intensities, as from `datasets.moving_digits`) or "linear" for standardised
    values. Train it on `data.frame_windows`, or use `frames.FrameForecaster`.

    Args:
        lookback: input frames per window.
        frame_shape: `(height, width, channels)`.
        horizon: frames predicted at once.
        filters: filters of each ConvLSTM layer.
        kernel_size: their square kernel size.
        output_activation: "sigmoid" (values in [0, 1]) or "linear".
        name: the model's name.

    Example:
    >>> import numpy as np
    >>> model = build_convlstm_model(lookback=4, frame_shape=(8, 8, 1), horizon=2, filters=(4,))
    >>> tuple(model(np.zeros((3, 4, 8, 8, 1), "float32")).shape)
    (3, 2, 8, 8, 1)
    """
    filters = tuple(int(f) for f in _as_sequence(filters))
    if not filters or any(f < 1 for f in filters):
        raise ConfigError(f"`filters` must be one or more positive integers. Received: filters={filters}")
    height, width, channels = (int(d) for d in frame_shape)
    inputs = keras.Input(shape=(lookback, height, width, channels), name="frames")
    x = inputs
    for depth, count in enumerate(filters, start=1):
        x = keras.layers.ConvLSTM2D(
            count, kernel_size, padding="same", return_sequences=depth < len(filters), name=f"convlstm_{depth}"
        )(x)
    x = keras.layers.Conv2D(
        horizon * channels, kernel_size, padding="same", activation=output_activation, name="head"
    )(x)
    x = keras.layers.Reshape((height, width, horizon, channels), name="split_frames")(x)
    outputs = keras.layers.Permute((3, 1, 2, 4), name="next_frames")(x)
    return keras.Model(inputs, outputs, name=name)


# --- whole sequences: classification, per-step labelling, reconstruction ----------------


def _check_sequence_config(config, purpose):
    if config.architecture != "stacked":
        raise ConfigError(f"A {purpose} uses the stacked architecture; seq2seq is for multi-step forecasts.")


def _recurrent_stack(config, x, last_returns_sequences, prefix=""):
    """The config's recurrent layers with dropout between them; every layer but the last returns sequences."""
    recurrent = CELLS[config.cell]
    for depth, units in enumerate(config.units, start=1):
        last = depth == len(config.units)
        layer = recurrent(
            units,
            return_sequences=last_returns_sequences or not last,
            recurrent_dropout=config.recurrent_dropout,
            name=f"{prefix}{config.cell}_{depth}",
        )
        if config.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{prefix}bidirectional_{depth}")
        x = layer(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"{prefix}dropout_{depth}")(x)
    return x


def build_sequence_classifier(config, n_features, n_classes, per_step=False, mask_value=0.0, name="classifier"):
    """A masked recurrent classifier of whole sequences (or of every step, `per_step=True`).

    `Masking` skips the padded steps of shorter sequences (they are not
    truncated); the stacked recurrent layers follow `config` (LSTM, GRU,
    peephole, bidirectional). Two classes give one sigmoid output (binary
    cross-entropy); more give a softmax (cross-entropy). With `per_step` every
    layer returns sequences and the head is applied at every step, always a
    softmax (the sequence labeller's per-step cross-entropy).

    Example:
    >>> import numpy as np
    >>> model = build_sequence_classifier(ModelConfig(units=(8,), bidirectional=True), n_features=3, n_classes=4)
    >>> tuple(model(np.zeros((2, 7, 3), "float32")).shape)
    (2, 4)
    """
    _check_sequence_config(config, "sequence classifier")
    _warn_if_not_cudnn(config)
    inputs = keras.Input(shape=(None, n_features), name="sequences")
    x = keras.layers.Masking(mask_value=mask_value, name="mask")(inputs)
    x = _recurrent_stack(config, x, last_returns_sequences=per_step)
    for depth, units in enumerate(config.dense_units, start=1):
        x = keras.layers.Dense(units, activation=config.dense_activation, name=f"dense_{depth}")(x)
    binary = n_classes == 2 and not per_step
    outputs = keras.layers.Dense(1 if binary else n_classes, activation="sigmoid" if binary else "softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_autoencoder(config, window, n_features, name="autoencoder"):
    """An LSTM autoencoder: encoder -> repeat -> decoder -> per-step linear Dense.

    The encoder (the config's stacked layers) compresses `window` steps into
    its last layer's final state; `RepeatVector` hands it to every step of a
    decoder with the same layers in reverse order, and a linear Dense
    reconstructs each step's `n_features` values (reconstruction MSE).

    Example:
    >>> import numpy as np
    >>> model = build_autoencoder(ModelConfig(units=(8,)), window=16, n_features=2)
    >>> tuple(model(np.zeros((3, 16, 2), "float32")).shape)
    (3, 16, 2)
    """
    _check_sequence_config(config, "autoencoder")
    if config.bidirectional:
        raise ConfigError("The autoencoder's encoder and decoder are one-way; use bidirectional=False.")
    _warn_if_not_cudnn(config)
    inputs = keras.Input(shape=(window, n_features), name="windows")
    code = _recurrent_stack(config, inputs, last_returns_sequences=False, prefix="encoder_")
    x = keras.layers.RepeatVector(window, name="repeat")(code)
    decoder = dataclasses.replace(config, units=tuple(reversed(config.units)))
    x = _recurrent_stack(decoder, x, last_returns_sequences=True, prefix="decoder_")
    outputs = keras.layers.Dense(n_features, name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=name)
