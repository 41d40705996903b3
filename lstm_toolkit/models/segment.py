"""Segment-wise recurrence (SegRNN, Lin et al. 2023): long windows in a few recurrent steps.

A point-wise LSTM runs one recurrent step per input row, so its cost grows
with the lookback step by step. `architecture="segment"` cuts the (normalised)
window into `lookback / w` segments of `w` rows, embeds each segment with a
Dense layer, and runs the recurrent stack over the segments: at lookback 336
and w = 24 that is 14 steps instead of 336. The horizon is then decoded:

- `SegmentConfig(decoder="parallel")` (SegRNN's parallel multi-step decoding): one
  learned position vector per output segment (joined by that segment's
  known-future inputs) takes one recurrent step from the encoder's final
  state, every segment independently and at once (`ParallelSegmentDecoder`),
  and a Dense layer maps each step to the segment's `w` values;
- `SegmentConfig(decoder="dense")`: the encoder's final state feeds the Dense head
  that outputs every step at once, as in the stacked architecture.

`SegmentConfig(length="auto")` takes the season when it divides the lookback, else
the divisor of the lookback nearest its square root.
"""

from __future__ import annotations

import math

from lstm_toolkit.backend import keras, ops
from lstm_toolkit.errors import ConfigError, check_integer
from lstm_toolkit.models.config import CELLS, SEGMENT_DECODERS  # noqa: F401 (SEGMENT_DECODERS: the choices)
from lstm_toolkit.models.recurrent import LearnedQueries, dense_head, recurrent_stack


def resolve_segment_length(lookback, segment_length="auto", season_length=None):
    """The segment length `w` for a window of `lookback` rows (see the module docstring).

    Example:
    >>> resolve_segment_length(336, "auto", season_length=24), resolve_segment_length(60), resolve_segment_length(7)
    (24, 6, 1)
    """
    if segment_length == "auto":
        if season_length and 1 < season_length < lookback and lookback % season_length == 0:
            return int(season_length)
        divisors = [d for d in range(1, lookback + 1) if lookback % d == 0]
        return min(divisors, key=lambda d: (abs(d - math.sqrt(lookback)), -d))
    segment_length = check_integer(segment_length, "segment_length", also=" or 'auto'")
    if lookback % segment_length:
        divisors = [d for d in range(2, lookback) if lookback % d == 0]
        raise ConfigError(
            f"segment_length={segment_length} does not divide lookback={lookback} into whole segments. "
            f"Use one of {divisors[:12]}, 'auto', or a lookback that is a multiple of {segment_length}."
        )
    return segment_length


def segment_forecaster(config, x, lookback, horizon, n_targets, n_params=0, future=None):
    """The segment architecture's output `(batch, horizon, n_targets[, n_params])` from the window tensor `x`."""
    width = resolve_segment_length(lookback, config.segment.length, config.season_length)
    n_segments, channels = lookback // width, x.shape[-1]
    segments = keras.layers.Reshape((n_segments, width * channels), name="segments")(x)
    embedded = keras.layers.Dense(config.units[0], activation="relu", name="segment_embedding")(segments)
    per_value = max(n_params, 1)
    if config.segment.decoder == "dense":
        encoded = recurrent_stack(config, embedded)
        if future is not None:
            encoded = keras.layers.Concatenate(name="with_future")([encoded, keras.layers.Flatten(name="future_flat")(future)])
        outputs = dense_head(config, encoded, horizon * n_targets * per_value)
    else:
        _, states = recurrent_stack(config, embedded, return_state=True)
        n_out = -(-horizon // width)
        queries = LearnedQueries(n_out, config.units[-1], name="segment_positions")(embedded)
        if future is not None:
            queries = keras.layers.Concatenate(name="decoder_inputs")([queries, FutureSegments(width, n_out, name="future_segments")(future)])
        decoded = ParallelSegmentDecoder(config.cell, config.units[-1], name=f"segment_decoder_{config.cell}")([queries, *states[-1]])
        if config.dropout:
            decoded = keras.layers.Dropout(config.dropout, name="decoder_dropout")(decoded)
        outputs = dense_head(config, decoded, width * n_targets * per_value)
        outputs = keras.layers.Reshape((n_out * width, n_targets * per_value), name="segment_steps")(outputs)
        if n_out * width != horizon:
            outputs = keras.layers.Cropping1D((0, n_out * width - horizon), name="horizon_steps")(outputs)
    shape = (horizon, n_targets, n_params) if n_params else (horizon, n_targets)
    return keras.layers.Reshape(shape, name="forecast")(outputs)


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class FutureSegments(keras.layers.Layer):
    """Known-future inputs `(batch, horizon, k)` regrouped by output segment: `(batch, n_segments, width * k)`.

    The steps past the horizon (when `width` does not divide it) are zeros.

    >>> import numpy as np
    >>> tuple(FutureSegments(4, 2)(np.ones((3, 6, 2), "float32")).shape)
    (3, 2, 8)
    """

    def __init__(self, width, n_segments, **kwargs):
        super().__init__(**kwargs)
        self.width, self.n_segments = int(width), int(n_segments)

    def call(self, future):
        pad = self.width * self.n_segments - future.shape[1]
        if pad:
            future = ops.pad(future, [[0, 0], [0, pad], [0, 0]])
        return ops.reshape(future, (-1, self.n_segments, self.width * future.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_segments, self.width * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "width": self.width, "n_segments": self.n_segments}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class ParallelSegmentDecoder(keras.layers.Layer):
    """One recurrent step per output segment, every segment from the same encoder state, all at once.

    Inputs `[queries (batch, n_segments, d), *states]` (the encoder's final
    states, `(batch, units)` each); output `(batch, n_segments, units)`. The
    segments are folded into the batch, so the recurrent layer runs one step
    over `batch * n_segments` rows instead of `n_segments` steps in turn.

    >>> import numpy as np
    >>> decoder = ParallelSegmentDecoder("gru", 4)
    >>> tuple(decoder([np.zeros((2, 3, 5), "float32"), np.zeros((2, 4), "float32")]).shape)
    (2, 3, 4)
    """

    def __init__(self, cell, units, **kwargs):
        super().__init__(**kwargs)
        self.cell, self.units = cell, int(units)
        self.recurrent = CELLS[cell](self.units, name="step")

    def build(self, input_shape):
        queries = input_shape[0]
        self.recurrent.build((None, 1, queries[-1]))

    def call(self, inputs):
        queries, *states = inputs
        n_segments, dim = queries.shape[1], queries.shape[-1]
        folded = ops.reshape(queries, (-1, 1, dim))
        repeated = [ops.reshape(ops.repeat(ops.expand_dims(state, 1), n_segments, axis=1), (-1, self.units))
                    for state in states]
        stepped = self.recurrent(folded, initial_state=repeated)
        return ops.reshape(stepped, (-1, n_segments, self.units))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[0][1], self.units)

    def get_config(self):
        return {**super().get_config(), "cell": self.cell, "units": self.units}
