"""LSTM-FCN and MLSTM-FCN: a fully convolutional branch beside an LSTM branch, for classifying sequences.

After Karim et al., "LSTM Fully Convolutional Networks for Time Series
Classification" (2017) and "Multivariate LSTM-FCNs for Time Series
Classification" (2019):

- the convolutional branch is three blocks of `Conv1D` -> `BatchNormalization`
  -> ReLU (filters 128/256/128, kernels 8/5/3 by default), with a
  squeeze-and-excitation block after the first two in the multivariate version
  (`FCNConfig(squeeze_excite=True)`), then global average pooling over time;
- the LSTM branch reads the "dimension shuffled" sequence: the time axis and
  the channel axis swapped, so the LSTM takes one step per channel, each step
  the whole series of that channel (cheap for long univariate series: one
  step), followed by a high dropout;
- the two are concatenated before the output layer.

Padding: sequences are padded at the end with `mask_value` (0 after the
classifier's per-channel standardisation). The convolutional branch is exact
under padding: padded steps are zeroed after every block (so a convolution
sees zeros past the end, as "same" padding does at the edges), batch
normalisation computes its moments on real steps only, and the pooling
averages real steps only. The shuffled LSTM branch reads a fixed length: the
first `length` steps (the longest training sequence), zero-padded, so padded
steps add nothing to its input projections; a longer sequence at prediction
time is read whole by the convolutional branch and by its first `length`
steps in the LSTM branch. `architecture="fcn"` is the convolutional
branch alone (Wang et al. 2017), which reads any length.

`ModelConfig(members=k)` builds k such networks side by side, initialised
differently, and averages their probabilities: a seed ensemble in one model
(one bundle, one predict call; see `models.ensemble`). `members_model(model)` gives the members'
own outputs, so that each trains on its own loss, independently of the others.

With `per_step=True` (the sequence labeller) nothing is pooled: the blocks'
per-step features and a masked LSTM over time (no dimension shuffle) are
concatenated at each step before a per-step softmax.
"""

from __future__ import annotations

from lstm_toolkit.backend import keras, ops
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models.ensemble import ENSEMBLE

FCN_ARCHITECTURES = ("lstm_fcn", "fcn")
# Squeeze-and-excitation reduces the channels by this ratio in its bottleneck (Hu et al. 2018).
SE_RATIO = 16


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class StepMask(keras.layers.Layer):
    """The real (unpadded) steps of `(batch, time, channels)` sequences: True where any channel differs from `mask_value`."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def call(self, inputs):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1]

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class ZeroPadded(keras.layers.Layer):
    """Sets the padded steps of `(batch, time, channels)` to zero, given the `StepMask`; the Keras mask stops here."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def call(self, inputs, steps):
        return inputs * ops.expand_dims(ops.cast(steps, inputs.dtype), -1)

    def compute_output_shape(self, inputs_shape, steps_shape):
        return inputs_shape


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class FitLength(keras.layers.Layer):
    """The first `length` steps of `(batch, time, channels)` sequences, zero-padded when they are shorter."""

    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        self.length = int(length)

    def call(self, inputs):
        zeros = ops.repeat(ops.zeros_like(inputs[:, :1, :]), self.length, axis=1)
        return ops.concatenate([inputs, zeros], axis=1)[:, : self.length, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.length, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "length": self.length}


def has_fixed_length_branch(config, per_step=False):
    """True when a classifier of `config` has a fixed-length branch: the LSTM-FCN's dimension-shuffled LSTM."""
    return config.architecture == "lstm_fcn" and not per_step


def check_fcn_config(config):
    """Validates the convolutional settings of a `ModelConfig` with an FCN architecture."""
    fcn = config.fcn
    if len(fcn.filters) != len(fcn.kernel_sizes) or not fcn.filters:
        raise ConfigError(
            f"`filters` and `kernel_sizes` give one value per convolutional block and must have the same, non-zero "
            f"length. Received: filters={fcn.filters}, kernel_sizes={fcn.kernel_sizes}"
        )


def conv_blocks(config, x, mask, prefix=""):
    """The convolutional branch's blocks, exact under end padding; returns per-step features `(batch, time, filters)`."""
    fcn = config.fcn
    for depth, (filters, kernel) in enumerate(zip(fcn.filters, fcn.kernel_sizes), start=1):
        name = f"{prefix}conv_{depth}"
        x = keras.layers.Conv1D(filters, kernel, padding="same", kernel_initializer="he_uniform", name=name)(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x, mask=mask)
        x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
        x = ZeroPadded(name=f"{name}_zero_padded")(x, mask)
        if fcn.squeeze_excite and depth < len(fcn.filters):
            x = squeeze_excite(x, mask, filters, name=f"{name}_se")
    return x


def squeeze_excite(x, mask, filters, name):
    """Squeeze-and-excitation: rescales each channel by a gate computed from its (masked) mean over time."""
    squeezed = keras.layers.GlobalAveragePooling1D(name=f"{name}_squeeze")(x, mask=mask)
    gate = keras.layers.Dense(max(1, filters // SE_RATIO), activation="relu", kernel_initializer="he_normal", name=f"{name}_reduce")(squeezed)
    gate = keras.layers.Dense(filters, activation="sigmoid", kernel_initializer="he_normal", name=f"{name}_gate")(gate)
    gate = keras.layers.Reshape((1, filters), name=f"{name}_steps")(gate)
    return keras.layers.Multiply(name=f"{name}_excite")([x, gate])


def build_fcn_classifier(config, n_features, n_classes, length=None, per_step=False, mask_value=0.0, name="classifier"):
    """An LSTM-FCN (`architecture="lstm_fcn"`) or FCN (`"fcn"`) classifier of whole sequences, or of every step.

    Args:
        config: a `ModelConfig` with an FCN architecture: its `fcn`
            (`FCNConfig`) for the convolutional branch;
            `units[0]`, `cell` and `dropout` for the LSTM branch (lstm_fcn).
        n_features: channels per step.
        n_classes: classes; two give one sigmoid output (as the recurrent
            classifier), more a softmax. Per step it is always a softmax.
        length: the steps the shuffled LSTM branch reads (the longest training
            sequence); None for "fcn" or `per_step`. The model reads sequences
            of any length.
        per_step: one prediction per step (the sequence labeller).
        mask_value: the value of padded steps.

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import FCNConfig, ModelConfig
    >>> config = ModelConfig(architecture="lstm_fcn", units=(8,), fcn=FCNConfig(filters=(8, 16, 8), kernel_sizes=(8, 5, 3)))
    >>> model = build_fcn_classifier(config, n_features=2, n_classes=3, length=20)
    >>> tuple(model(np.zeros((4, 20, 2), "float32")).shape)
    (4, 3)
    """
    if config.architecture not in FCN_ARCHITECTURES:
        raise ConfigError(f"build_fcn_classifier builds {FCN_ARCHITECTURES}; received architecture={config.architecture!r}.")
    check_fcn_config(config)
    shuffled = has_fixed_length_branch(config, per_step)
    if shuffled and not length:
        raise ConfigError("The lstm_fcn classifier's LSTM branch reads a fixed length: give `length` (the longest training sequence).")
    inputs = keras.Input(shape=(None, n_features), name="sequences")
    mask = StepMask(mask_value, name="mask")(inputs)
    binary = n_classes == 2 and not per_step
    outputs = []
    for member in range(config.members):
        prefix = f"m{member + 1}_" if config.members > 1 else ""
        features = conv_blocks(config, inputs, mask, prefix)
        if not per_step:
            features = keras.layers.GlobalAveragePooling1D(name=f"{prefix}pool")(features, mask=mask)
        if config.architecture == "lstm_fcn":
            recurrent = keras.layers.GRU if config.cell == "gru" else keras.layers.LSTM
            if per_step:
                memory = recurrent(config.units[0], return_sequences=True, name=f"{prefix}lstm")(inputs, mask=mask)
            else:
                fixed = FitLength(length, name=f"{prefix}lstm_steps")(inputs)
                shuffled_steps = keras.layers.Permute((2, 1), name=f"{prefix}dimension_shuffle")(fixed)
                memory = recurrent(config.units[0], name=f"{prefix}lstm")(shuffled_steps)
            memory = keras.layers.Dropout(config.dropout, name=f"{prefix}lstm_dropout")(memory)
            features = keras.layers.Concatenate(name=f"{prefix}branches")([memory, features])
        outputs.append(keras.layers.Dense(1 if binary else n_classes, activation="sigmoid" if binary else "softmax",
                                          name=f"{prefix}output")(features))
    output = outputs[0] if len(outputs) == 1 else keras.layers.Average(name=ENSEMBLE)(outputs)
    return keras.Model(inputs, output, name=name)
