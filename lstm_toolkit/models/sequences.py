"""Models of whole sequences: classification, per-step labelling, reconstruction, and frame grids (ConvLSTM)."""

from __future__ import annotations

import dataclasses

from lstm_toolkit.backend import keras
from lstm_toolkit.errors import ConfigError, check_integers
from lstm_toolkit.models.config import ROCKET_ARCHITECTURES
from lstm_toolkit.models.fcn import FCN_ARCHITECTURES, build_fcn_classifier
from lstm_toolkit.models.recurrent import dense_head, recurrent_stack, warn_if_not_cudnn
from lstm_toolkit.models.rocket import build_minirocket_classifier, check_rocket_config

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
    filters = check_integers(filters, "filters")
    if not filters:
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
        raise ConfigError(
            f"A {purpose} uses the stacked architecture (or, to classify or label, 'lstm_fcn' / 'fcn'); "
            f"received architecture={config.architecture!r}."
        )


def build_sequence_classifier(config, n_features, n_classes, per_step=False, mask_value=0.0, name="classifier", length=None):
    """A masked recurrent classifier of whole sequences (or of every step, `per_step=True`).

    With `architecture="lstm_fcn"` or `"fcn"` the convolutional classifier of
    `models.fcn.build_fcn_classifier` instead (`length`: the padded length its
    shuffled LSTM branch reads); with `"minirocket"` the untrained MiniRocket
    classifier of `models.rocket` (`length`: the training length its dilations
    span; `models.rocket.fit_minirocket` fits it).

    `Masking` skips the padded steps of shorter sequences (they are not
    truncated); the stacked recurrent layers follow `config` (LSTM, GRU,
    peephole, bidirectional). Two classes give one sigmoid output (binary
    cross-entropy); more give a softmax (cross-entropy). With `per_step` every
    layer returns sequences and the head is applied at every step, always a
    softmax (the sequence labeller's per-step cross-entropy).

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig
    >>> model = build_sequence_classifier(ModelConfig(units=(8,), bidirectional=True), n_features=3, n_classes=4)
    >>> tuple(model(np.zeros((2, 7, 3), "float32")).shape)
    (2, 4)
    """
    if config.architecture in FCN_ARCHITECTURES:
        return build_fcn_classifier(config, n_features, n_classes, length, per_step, mask_value, name)
    if config.architecture in ROCKET_ARCHITECTURES:
        check_rocket_config(config, per_step)
        return build_minirocket_classifier(config, n_features, n_classes, length, mask_value, name)
    _check_sequence_config(config, "sequence classifier")
    warn_if_not_cudnn(config)
    inputs = keras.Input(shape=(None, n_features), name="sequences")
    x = keras.layers.Masking(mask_value=mask_value, name="mask")(inputs)
    x = recurrent_stack(config, x, return_sequences=per_step)
    binary = n_classes == 2 and not per_step
    outputs = dense_head(config, x, 1 if binary else n_classes, activation="sigmoid" if binary else "softmax")
    return keras.Model(inputs, outputs, name=name)


def build_autoencoder(config, window, n_features, name="autoencoder"):
    """An LSTM autoencoder: encoder -> repeat -> decoder -> per-step linear Dense.

    The encoder (the config's stacked layers) compresses `window` steps into
    its last layer's final state; `RepeatVector` hands it to every step of a
    decoder with the same layers in reverse order, and a linear Dense
    reconstructs each step's `n_features` values (reconstruction MSE).

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig
    >>> model = build_autoencoder(ModelConfig(units=(8,)), window=16, n_features=2)
    >>> tuple(model(np.zeros((3, 16, 2), "float32")).shape)
    (3, 16, 2)
    """
    _check_sequence_config(config, "autoencoder")
    if config.bidirectional:
        raise ConfigError("The autoencoder's encoder and decoder are one-way; use bidirectional=False.")
    warn_if_not_cudnn(config)
    inputs = keras.Input(shape=(window, n_features), name="windows")
    code = recurrent_stack(config, inputs, prefix="encoder_")
    x = keras.layers.RepeatVector(window, name="repeat")(code)
    decoder = dataclasses.replace(config, units=tuple(reversed(config.units)))
    x = recurrent_stack(decoder, x, return_sequences=True, prefix="decoder_")
    outputs = keras.layers.Dense(n_features, name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=name)
