"""Recurrent cells Keras does not ship: the peephole LSTM (Gers & Schmidhuber, 2000)."""

from __future__ import annotations

from lstm_toolkit.backend import keras, ops


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class PeepholeLSTMCell(keras.layers.Layer):
    """An LSTM cell whose gates also see the cell state through diagonal peephole weights.

    With `z = x W + h(t-1) U + b` split into the i, f, c, o parts (Keras'
    `LSTMCell` layout) and peephole vectors `p_i`, `p_f`, `p_o`:

        i = sigmoid(z_i + p_i * c(t-1))      f = sigmoid(z_f + p_f * c(t-1))
        c(t) = f * c(t-1) + i * tanh(z_c)
        o = sigmoid(z_o + p_o * c(t))        h(t) = o * tanh(c(t))

    With the peepholes at zero it is `keras.layers.LSTMCell` with the same
    kernels. Use it through `PeepholeLSTM` (or `keras.layers.RNN`).

    Args:
        units: width of the hidden and cell states.
        unit_forget_bias: start the forget-gate bias at 1 (as Keras' LSTM).
        recurrent_dropout: dropout on the recurrent state during training.
        kernel_initializer, recurrent_initializer, peephole_initializer:
            initialisers of W, U and the peephole vectors.
    """

    def __init__(
        self,
        units,
        unit_forget_bias=True,
        recurrent_dropout=0.0,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        peephole_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = int(units)
        self.unit_forget_bias = unit_forget_bias
        self.recurrent_dropout = float(recurrent_dropout)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self.seed_generator = keras.random.SeedGenerator()

    def build(self, input_shape):
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * units), initializer=self.kernel_initializer, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 4 * units), initializer=self.recurrent_initializer, name="recurrent_kernel")

        def bias_initializer(shape, dtype=None):
            forget = "ones" if self.unit_forget_bias else "zeros"
            parts = [keras.initializers.get(name)((units,), dtype=dtype) for name in ("zeros", forget, "zeros", "zeros")]
            return ops.concatenate(parts)

        self.bias = self.add_weight(shape=(4 * units,), initializer=bias_initializer, name="bias")
        self.input_peephole = self.add_weight(shape=(units,), initializer=self.peephole_initializer, name="input_peephole")
        self.forget_peephole = self.add_weight(shape=(units,), initializer=self.peephole_initializer, name="forget_peephole")
        self.output_peephole = self.add_weight(shape=(units,), initializer=self.peephole_initializer, name="output_peephole")

    def call(self, inputs, states, training=False):
        h, c = states
        if training and self.recurrent_dropout > 0:
            h = keras.random.dropout(h, self.recurrent_dropout, seed=self.seed_generator)
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        i = ops.sigmoid(z_i + self.input_peephole * c)
        f = ops.sigmoid(z_f + self.forget_peephole * c)
        c = f * c + i * ops.tanh(z_c)
        o = ops.sigmoid(z_o + self.output_peephole * c)
        h = o * ops.tanh(c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype) for _ in range(2)]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "unit_forget_bias": self.unit_forget_bias,
            "recurrent_dropout": self.recurrent_dropout,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "peephole_initializer": keras.initializers.serialize(self.peephole_initializer),
        }


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class PeepholeLSTM(keras.layers.RNN):
    """A recurrent layer of `PeepholeLSTMCell`s, with `keras.layers.LSTM`'s main arguments.

    It runs Keras' generic recurrent loop (no cuDNN kernel exists for peepholes).

    Example:
    >>> import numpy as np
    >>> layer = PeepholeLSTM(4, return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    def __init__(self, units, recurrent_dropout=0.0, unit_forget_bias=True, peephole_initializer="zeros", **kwargs):
        cell = PeepholeLSTMCell(
            units,
            unit_forget_bias=unit_forget_bias,
            recurrent_dropout=recurrent_dropout,
            peephole_initializer=peephole_initializer,
            name="peephole_lstm_cell",
        )
        super().__init__(cell, **kwargs)

    @property
    def units(self):
        return self.cell.units

    def get_config(self):
        config = super().get_config()
        config.pop("cell", None)
        return {
            **config,
            "units": self.cell.units,
            "recurrent_dropout": self.cell.recurrent_dropout,
            "unit_forget_bias": self.cell.unit_forget_bias,
            "peephole_initializer": keras.initializers.serialize(self.cell.peephole_initializer),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
