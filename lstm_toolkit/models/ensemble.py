"""Seed ensembles in one Keras model: k members side by side, each trained on its own loss, combined at the output.

`ModelConfig(members=k)` builds k copies of a network, initialised differently,
as sub-models of one `keras.Model` that reads the same inputs: one bundle, one
predict call, one training loop (one batch feeds every member, so the k fits
share the input pipeline and the Python overhead of each step). The combining
layer is named `ENSEMBLE`:

- forecasts of a point model are combined by their median (`MemberMedian`),
  which one diverged member cannot drag away;
- a probabilistic forecaster's distribution parameters, and a classifier's
  probabilities, are averaged (`keras.layers.Average`). For quantile outputs
  that is averaging quantiles (Vincentisation), which keeps them ordered; for
  Gaussian members, averaging the mean and the scale is exactly averaging
  every quantile.

With `ModelConfig.member_lookbacks` each member reads only the window's last
rows, as many as its own lookback (an ensemble across lookbacks, built by
`forecast_networks.build_model`); the members are combined the same way.

`members_model(model)` is the training form: the same layers with the members'
own outputs, so that each member trains on its own loss, independently of the
others (the sum of their losses has no cross terms); `member_targets` repeats
a dataset's targets once per member to match.
"""

from __future__ import annotations

from lstm_toolkit.backend import keras, ops

# The name of the layer that combines an ensemble's members (`ModelConfig.members`).
ENSEMBLE = "ensemble"
COMBINERS = ("median", "mean")


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class MemberMedian(keras.layers.Layer):
    """The element-wise median of a list of same-shaped tensors (the mean of the middle two for an even count).

    Example:
    >>> import numpy as np
    >>> outputs = [np.array([[1.0]]), np.array([[9.0]]), np.array([[2.0]])]
    >>> float(np.asarray(MemberMedian()(outputs))[0, 0])
    2.0
    """

    def call(self, inputs):
        stacked = ops.sort(ops.stack(inputs, axis=0), axis=0)
        count = len(inputs)
        middle = count // 2
        if count % 2:
            return stacked[middle]
        return 0.5 * (stacked[middle - 1] + stacked[middle])

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def ensemble_model(members, combine="mean", name="ensemble_model"):
    """One `keras.Model` running `members` (models with the same inputs and output shape) side by side.

    Args:
        members: the member models; each becomes a sub-model of the result.
        combine: "median" or "mean" of the members' outputs.
        name: the model's name.

    Returns:
        A model with the members' inputs and their combined output, through a
        layer named `ENSEMBLE`.

    Example:
    >>> def member(name):
    ...     inputs = keras.Input((3,), name="x")
    ...     return keras.Model(inputs, keras.layers.Dense(1)(inputs), name=name)
    >>> model = ensemble_model([member("a"), member("b"), member("c")], combine="median")
    >>> [output.shape for output in members_model(model).outputs]
    [(None, 1), (None, 1), (None, 1)]
    """
    if combine not in COMBINERS:
        raise ValueError(f"`combine` must be one of {COMBINERS}. Received: {combine!r}")
    first = members[0]
    inputs = [keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype, name=_input_name(tensor)) for tensor in first.inputs]
    given = inputs if len(inputs) > 1 else inputs[0]
    outputs = [member(given) for member in members]
    layer = MemberMedian(name=ENSEMBLE) if combine == "median" else keras.layers.Average(name=ENSEMBLE)
    return keras.Model(given, layer(outputs), name=name)


def _input_name(tensor):
    return tensor.name.split(":")[0]


def members_model(model):
    """The model of an ensemble's members (one output each, to train each on its own loss), sharing `model`'s layers.

    `model` itself when it is not an ensemble (no `ENSEMBLE` layer).
    """
    try:
        combined = model.get_layer(ENSEMBLE)
    except ValueError:
        return model
    inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
    return keras.Model(inputs, combined.input, name=f"{model.name}_members")


def n_members(model):
    """How many members `model` combines (1 when it is not an ensemble)."""
    trainable = members_model(model)
    return 1 if trainable is model else len(trainable.outputs)


def member_targets(dataset, count):
    """`dataset` (of `(x, y)` or `(x, y, sample_weight)`) with each target repeated `count` times, for `members_model`."""
    if count == 1 or dataset is None:
        return dataset

    def repeat(x, y, *weights):
        return (x, (y,) * count, *[(w,) * count for w in weights])

    return dataset.map(repeat)
