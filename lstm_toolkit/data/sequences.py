"""Sets of variable-length sequences (utterances, cases, streams): checked, scaled and padded.

The forecasting side of the data module works on one long series; the
sequence estimators (`SequenceClassifier`, `SequenceLabeller`) work on many
short ones. This module turns what users hold (a 3-D array, a list of 2-D
arrays of different lengths, or a long DataFrame with one row per frame) into
one list of `(length, channels)` float arrays, scales them with a scaler fit
on the training frames only, and pads them for a masked model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.backend import keras
from lstm_toolkit.data.frame import first_non_finite
from lstm_toolkit.data.scaling import Scaler
from lstm_toolkit.errors import DataError

# Padded steps hold this value; the models' Masking layer skips steps that equal it in every channel.
PAD_VALUE = 0.0


def as_sequences(X, case_col=None, time_col=None, features=None, exclude=()):
    """Reads a set of sequences into a list of float64 `(length, channels)` arrays.

    Args:
        X: a 3-D array `(cases, time, channels)`; a list of 2-D arrays
            `(length, channels)` (or 1-D arrays, one channel) of different
            lengths; or a long DataFrame with one row per frame and a
            `case_col` naming the case of each row.
        case_col: the DataFrame's case-id column (required for a DataFrame).
        time_col: the DataFrame's frame-order column; without it rows keep
            their order within each case.
        features: the DataFrame's input columns; default every numeric column
            but `case_col`, `time_col` and `exclude`.
        exclude: DataFrame columns that are never inputs (the label column).

    Returns:
        `(sequences, case_ids, features)`: case ids are the DataFrame's, in
        order of first appearance, else `None`; features are the column
        names, else `("x0", "x1", ...)`.

    Example:
    >>> seqs, ids, cols = as_sequences([np.zeros((3, 2)), np.ones((5, 2))])
    >>> [s.shape for s in seqs], ids, cols
    ([(3, 2), (5, 2)], None, ('x0', 'x1'))
    """
    if isinstance(X, pd.DataFrame):
        sequences, case_ids, features = _from_frame(X, case_col, time_col, features, exclude)
    else:
        if case_col is not None or time_col is not None:
            raise DataError("`case_col` and `time_col` apply to a long DataFrame; X is not a DataFrame.")
        case_ids = None
        sequences = _from_arrays(X)
        features = tuple(f"x{k}" for k in range(sequences[0].shape[1]))
    _check_values(sequences, case_ids)
    return sequences, case_ids, tuple(features)


def _from_arrays(X):
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim != 3:
            raise DataError(
                f"A sequence array must be 3-D (cases, time, channels); got shape {X.shape}. "
                "Add a channel axis with X[..., None] for one channel, or pass a list of 2-D arrays."
            )
        items = list(X)
    elif isinstance(X, (list, tuple, np.ndarray)):
        items = list(X)
    else:
        raise DataError(
            f"Sequences must be a 3-D array, a list of 2-D arrays or a long DataFrame; got {type(X).__name__}."
        )
    if not items:
        raise DataError("No sequences were given.")
    sequences = []
    for position, item in enumerate(items):
        try:
            array = np.asarray(item, dtype="float64")
        except (TypeError, ValueError):
            raise DataError(f"Sequence {position} is not numeric. Pass numbers only.") from None
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise DataError(f"Sequence {position} has shape {array.shape}; each must be (length, channels).")
        sequences.append(array)
    return sequences


def _from_frame(frame, case_col, time_col, features, exclude):
    if case_col is None:
        raise DataError(
            "A long DataFrame needs `case_col`, the column naming each row's sequence (e.g. case_col='case')."
        )
    for name, column in (("case_col", case_col), ("time_col", time_col)):
        if column is not None and column not in frame.columns:
            raise DataError(f"`{name}`={column!r} is not a column. Columns: {list(frame.columns)}.")
    if features is None:
        skip = {case_col, time_col, *exclude}
        features = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
        if not features:
            raise DataError(f"No numeric input columns besides {sorted(map(str, skip - {None}))}. Name them in `features`.")
    else:
        features = [features] if isinstance(features, str) else list(features)
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise DataError(f"Feature column(s) {missing} not found. Columns: {list(frame.columns)}.")
        leaked = [c for c in features if c in (case_col, time_col, *exclude)]
        if leaked:
            raise DataError(f"Column(s) {leaked} are the case id, frame order or label and cannot be inputs.")
        for column in features:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                raise DataError(f"Feature column {column!r} is not numeric ({frame[column].dtype}).")
    if frame[case_col].isna().any():
        raise DataError(f"`{case_col}` has missing case ids in {int(frame[case_col].isna().sum())} row(s). Fill or drop them.")
    groups = frame.groupby(case_col, sort=False)
    sequences, case_ids = [], []
    for case, rows in groups:
        if time_col is not None:
            order = rows[time_col]
            if order.duplicated().any():
                raise DataError(
                    f"Case {case!r} has duplicate {time_col!r} values {order[order.duplicated()].tolist()[:5]}: "
                    "each frame of a case needs its own position. Drop the duplicates."
                )
            rows = rows.sort_values(time_col, kind="stable")
        sequences.append(rows[features].to_numpy(dtype="float64"))
        case_ids.append(case)
    return sequences, case_ids, features


def _check_values(sequences, case_ids):
    name = (lambda k: f"case {case_ids[k]!r}") if case_ids is not None else (lambda k: f"sequence {k}")
    channels = sequences[0].shape[1]
    for position, array in enumerate(sequences):
        if len(array) == 0:
            raise DataError(f"{name(position).capitalize()} has length 0. Drop the empty sequences: each needs at least one step.")
        if array.shape[1] != channels:
            raise DataError(
                f"{name(position).capitalize()} has {array.shape[1]} channels but the first has {channels}; "
                "every sequence needs the same channels."
            )
        missing = first_non_finite(array)
        if missing:
            step, channel = missing[1]
            raise DataError(
                f"{name(position).capitalize()} has NaN or inf (first at step {step}, channel {channel}). "
                "Fill or drop those frames first (e.g. DataFrame.interpolate)."
            )


def check_channels(sequences, n_channels):
    """Raises a `DataError` unless every sequence has `n_channels` channels (those the model was fit on)."""
    if sequences[0].shape[1] != n_channels:
        raise DataError(
            f"The sequences have {sequences[0].shape[1]} channel(s); the model was fit on {n_channels}. "
            "Pass the same input columns as in fit."
        )


def fit_scaler(sequences, kind, features):
    """A `Scaler` fit on every frame of the training `sequences` (padding never counts)."""
    return Scaler(kind, columns=features).fit(np.concatenate(sequences), constant_ok=features if kind == "none" else ())


def pad(sequences, scaler=None, length=None, dtype="float32"):
    """Scales the `sequences` (with a fitted `Scaler`) and right-pads them with `PAD_VALUE`.

    Returns:
        `(padded, lengths)`: `(cases, max length, channels)` and the true lengths.

    Example:
    >>> padded, lengths = pad([np.ones((2, 1)), np.ones((3, 1))])
    >>> padded[:, :, 0].tolist(), lengths.tolist()
    ([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], [2, 3])
    """
    if scaler is not None:
        sequences = [scaler.transform(array) for array in sequences]
    lengths = np.array([len(array) for array in sequences])
    # A real frame that is exactly PAD_VALUE in every channel would be masked as padding; nudge it.
    sequences = [np.where(np.all(array == PAD_VALUE, axis=1, keepdims=True), 1e-6, array) for array in sequences]
    padded = keras.utils.pad_sequences(sequences, maxlen=length, dtype=dtype, padding="post", value=PAD_VALUE)
    return padded, lengths


# The frames (sequences x steps) of one batch of padded sequences by default: a MiniRocket convolution of 256
# sequences of 128 steps holds about 11 MB, and sequences of 10,000 steps get batches of 3.
BATCH_FRAMES = 32_768


def frames_batch_size(length, most, frames=BATCH_FRAMES):
    """Sequences of `length` steps per batch: about `frames` frames, from 1 to `most`.

    Long sequences then never take one batch's activations past memory.

    >>> frames_batch_size(29, 256), frames_batch_size(427, 256), frames_batch_size(100_000, 256)
    (256, 76, 1)
    """
    return int(max(1, min(most, frames // max(int(length), 1))))


def bucket_length(sequences, smallest=8):
    """The padded length for prediction: the next power of two (at least `smallest`) that fits every sequence.

    Padding to a few fixed lengths (the mask hides the extra steps) lets the
    compiled predict function be reused instead of retraced for every new
    longest length.

    >>> bucket_length([np.zeros((7, 1)), np.zeros((29, 1))])
    32
    """
    longest = max(len(array) for array in sequences)
    return max(smallest, 1 << (longest - 1).bit_length())


def step_mask(lengths, length=None):
    """Boolean `(cases, length)`: True on real steps, False on padding."""
    lengths = np.asarray(lengths)
    length = int(lengths.max()) if length is None else length
    return np.arange(length)[None, :] < lengths[:, None]
