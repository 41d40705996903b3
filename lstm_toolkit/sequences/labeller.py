"""`SequenceLabeller`: one label per time step (the time-series form of named-entity tagging)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.data.sequences import as_sequences, bucket_length, check_channels, fit_scaler, pad, step_mask
from lstm_toolkit.errors import DataError, check_fraction
from lstm_toolkit.models import ModelConfig, build_sequence_classifier
from lstm_toolkit.sequences.estimator import LabelCodec, SequenceEstimator, per_class_weights
from lstm_toolkit.training import seed_weights

# The whole sequence is known when it is labelled, so each step may look both ways.
DEFAULT_LABELLER = ModelConfig(units=(64, 64), bidirectional=True, dropout=0.2, window_norm="none")


def segments(labels):
    """Contiguous runs of equal labels as `(start, end, label)`, `end` exclusive (like a slice).

    Example:
    >>> segments(["a", "a", "b", "b", "b", "a"])
    [(0, 2, 'a'), (2, 5, 'b'), (5, 6, 'a')]
    """
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:  # a column of labels
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(f"`segments` takes the labels of one sequence, one per step; received shape {labels.shape}. "
                        "For many sequences call it on each, or score them with `segment_scores`.")
    if len(labels) == 0:
        return []
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(labels)]])
    return [(int(s), int(e), labels[s].item()) for s, e in zip(starts, ends)]


def segment_scores(true, predicted):
    """Segment-level precision, recall and F1, scored as named entities are.

    A predicted segment counts as correct only when a true segment of the same
    sequence has exactly its start, end and label.

    Args:
        true, predicted: lists of per-step label arrays, one per sequence.

    Example:
    >>> scores = segment_scores([["a", "a", "b"]], [["a", "b", "b"]])
    >>> scores["precision"], scores["recall"], scores["f1"]
    (0.0, 0.0, 0.0)
    """
    if len(true) != len(predicted):
        raise DataError(f"{len(true)} true sequences but {len(predicted)} predicted ones.")
    n_true = n_predicted = n_correct = 0
    for position, (expected, got) in enumerate(zip(true, predicted)):
        for name, labels in (("true", expected), ("predicted", got)):
            if np.ndim(labels) == 0:
                raise DataError(f"Item {position} of `{name}` is the single label {labels!r}: `true` and `predicted` "
                                "hold one array of per-step labels per sequence. For one sequence pass [labels].")
        if len(expected) != len(got):
            raise DataError(f"Sequence {position}: {len(expected)} true labels but {len(got)} predicted ones.")
        wanted, found = set(segments(expected)), set(segments(got))
        n_true, n_predicted, n_correct = n_true + len(wanted), n_predicted + len(found), n_correct + len(wanted & found)
    precision = n_correct / n_predicted if n_predicted else 0.0
    recall = n_correct / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_segments": n_true, "predicted_segments": n_predicted}


class SequenceLabeller(SequenceEstimator):
    """Labels every step of variable-length sequences: BiLSTM -> per-step softmax.

    Sequences are padded and masked (the padding never counts in the loss or
    the metrics); inputs are standardised per channel with a scaler fit on the
    training sequences only.

    Args:
        model: a `ModelConfig`; default two bidirectional LSTM layers of 64
            units with dropout 0.2 (a step may look both ways: the whole
            sequence is known).
        scaler, class_weight, epochs, batch_size, learning_rate, clipnorm,
        patience, validation, seed, verbose, callbacks: as in
            `SequenceClassifier` (the validation part is a random fraction of
            the training sequences).

    Attributes (after `fit`): `classes_`, `model_`, `scaler_`, `features_`, `history_`, and `case_col_`,
    `time_col_` (the columns of a long DataFrame given to fit, else None).

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Y = [np.repeat([0, 1, 0], rng.integers(3, 6, 3)) for _ in range(30)]
    >>> X = [rng.normal(size=(len(y), 1)) + 3 * y[:, None] for y in Y]
    >>> labeller = SequenceLabeller(model=ModelConfig(units=(8,), bidirectional=True, window_norm="none"),
    ...                             epochs=2, verbose=0, seed=0).fit(X, Y)
    >>> [p.shape for p in labeller.predict(X[:2])] == [y.shape for y in Y[:2]]
    True
    """

    DEFAULT_MODEL = DEFAULT_LABELLER

    def __init__(
        self,
        model=None,
        scaler="standard",
        class_weight=None,
        epochs=100,
        batch_size=16,
        learning_rate=1e-3,
        clipnorm=1.0,
        patience=10,
        validation=0.1,
        seed=None,
        verbose="auto",
        callbacks=None,
    ):
        self._store_params(locals())

    def fit(self, X, Y, case_col=None, time_col=None, features=None):
        """Trains on sequences `X` with one label per step in `Y`.

        Args:
            X: a 3-D array, a list of 2-D arrays, or a long DataFrame with `case_col`.
            Y: per sequence, an array of one label per step; for a long
                DataFrame also the name of its per-row label column.

        Returns:
            self.
        """
        sequences, labels = self._read(X, Y, case_col, time_col, features, fitting=True)
        self.case_col_, self.time_col_ = case_col, time_col
        codec = LabelCodec.fit(np.concatenate(labels))
        encoded = [codec.encode(step_labels) for step_labels in labels]
        config = self._training_config(loss="sparse_categorical_crossentropy")  # checked before the seed is used
        rows = np.random.default_rng(config.seed).permutation(len(sequences))
        n_val = int(round(len(rows) * check_fraction(self.validation, "validation")))
        train, val = np.sort(rows[n_val:]), np.sort(rows[:n_val])
        if len(train) == 0:
            raise DataError("No training sequences are left after the validation part; lower `validation`.")
        scaler = fit_scaler([sequences[k] for k in train], self.scaler, self.features_)
        per_class = per_class_weights(self.class_weight, np.concatenate(encoded), codec)
        seed_weights(config.seed)  # before the weights are drawn
        model = build_sequence_classifier(self._model_config(), len(self.features_), len(codec.classes_), per_step=True)

        def arrays(subset):
            padded, lengths = pad([sequences[k] for k in subset], scaler)
            targets = np.zeros(padded.shape[:2], dtype="int32")
            for row, k in enumerate(subset):
                targets[row, : lengths[row]] = encoded[k]
            weights = step_mask(lengths, padded.shape[1]) * per_class[targets]  # padding weighs nothing
            return padded, targets, weights.astype("float32")

        history = self._train(
            model, config, arrays(train), arrays(val) if len(val) else None, metrics=("sparse_categorical_accuracy",)
        )
        self.model_, self.scaler_, self.codec_, self.history_ = model, scaler, codec, history
        self.classes_ = codec.classes_
        self.class_counts_ = np.bincount(np.concatenate([encoded[k] for k in train]),  # `evaluate`'s prior
                                         minlength=len(codec.classes_)).tolist()
        return self

    def _read(self, X, Y, case_col, time_col, features, fitting):
        frame_labels = isinstance(X, pd.DataFrame) and isinstance(Y, str)
        sequences, case_ids, names = as_sequences(X, case_col, time_col, features, (Y,) if frame_labels else ())
        if fitting:
            self.features_ = names
        else:
            check_channels(sequences, len(self.features_))
        if Y is None:
            return sequences, None
        if frame_labels:
            if Y not in X.columns:
                raise DataError(f"Label column {Y!r} not found. Columns: {list(X.columns)}.")
            labels = _frame_labels(X, case_col, time_col, Y)
        else:
            labels = [np.asarray(step_labels) for step_labels in Y]
        if len(labels) != len(sequences):
            raise DataError(f"`Y` needs one label array per sequence: {len(sequences)} sequences but {len(labels)} label arrays.")
        for position, (sequence, step_labels) in enumerate(zip(sequences, labels)):
            if step_labels.ndim != 1 or len(step_labels) != len(sequence):
                raise DataError(
                    f"Sequence {position} has {len(sequence)} steps but {step_labels.shape} labels; label every step."
                )
        return sequences, labels

    def predict_proba(self, X):
        """Per-step class probabilities: a list of `(length, n_classes)` arrays, rows summing to 1."""
        self._check_fitted()
        sequences, _ = self._read(X, None, *self._reading(X), fitting=False)
        return self._proba(sequences)

    def _proba(self, sequences):
        padded, lengths = pad(sequences, self.scaler_, length=bucket_length(sequences))
        probabilities = self._predict(padded, batch_size=64).astype("float64")
        return [probabilities[row, :length] for row, length in enumerate(lengths)]

    def predict(self, X):
        """Per-step labels (as given in fit): a list of arrays, one per sequence, of its length."""
        return [self.codec_.decode(p.argmax(axis=1)) for p in self.predict_proba(X)]

    def predict_segments(self, X):
        """The predicted labelled segments as a DataFrame: sequence, start, end (exclusive), label."""
        rows = [
            (position, start, end, label)
            for position, step_labels in enumerate(self.predict(X))
            for start, end, label in segments(step_labels)
        ]
        return pd.DataFrame(rows, columns=["sequence", "start", "end", "label"])

    def score(self, X, Y):
        """Per-step accuracy over every real (unpadded) step, a float."""
        return float(self.evaluate(X, Y).loc["model", "accuracy"])

    def evaluate(self, X, Y):
        """Per-step accuracy and segment precision / recall / F1 (exact boundaries and label), beside the prior.

        The "prior" row labels every step with the label most frequent in the
        training steps: the floor a labeller has to clear (NaN for a bundle
        saved before those counts were kept).

        Returns:
            A DataFrame indexed by model, prior, with the columns accuracy,
            precision, recall, f1, true_segments and predicted_segments (a
            DataFrame, as every estimator's `evaluate`).
        """
        self._check_fitted()
        sequences, labels = self._read(X, Y, *self._reading(X), fitting=False)
        for step_labels in labels:
            self.codec_.encode(step_labels)  # unseen labels raise here, naming them
        rows = {"model": [self.codec_.decode(p.argmax(axis=1)) for p in self._proba(sequences)]}
        counts = self.class_counts_  # None for a bundle saved before they were kept
        if counts:
            majority = self.classes_[int(np.argmax(counts))]
            rows["prior"] = [np.full(len(t), majority, dtype=np.asarray(self.classes_).dtype) for t in labels]
        total = sum(len(t) for t in labels)
        table = {name: {"accuracy": sum(int(np.sum(p == np.asarray(t))) for p, t in zip(predicted, labels)) / total,
                        **segment_scores(labels, predicted)} for name, predicted in rows.items()}
        return pd.DataFrame.from_dict(table, orient="index").reindex(["model", "prior"])


def _frame_labels(frame, case_col, time_col, label_col):
    """Per-case arrays of a long DataFrame's per-row labels, in the case and frame order of `as_sequences`."""
    if frame[label_col].isna().any():
        raise DataError(f"Labels are missing in {label_col!r} for {int(frame[label_col].isna().sum())} row(s). Label every step.")
    labels = []
    for _, rows in frame.groupby(case_col, sort=False):
        if time_col is not None:
            rows = rows.sort_values(time_col, kind="stable")
        labels.append(rows[label_col].to_numpy())
    return labels
