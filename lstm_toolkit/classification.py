"""`SequenceClassifier`: one label per sequence (utterance, case, recording)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from lstm_toolkit.data.sequences import as_sequences, bucket_length, check_channels, fit_scaler, pad
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.estimators import LabelCodec, SequenceEstimator, per_class_weights
from lstm_toolkit.models import ModelConfig, build_sequence_classifier

# A bidirectional LSTM reads each whole sequence both ways (all of it is known
# when it is classified); 0.98 on Japanese vowels against 0.94 for two one-way
# layers (benchmarks/sequence_tasks.py).
DEFAULT_CLASSIFIER = ModelConfig(units=(64,), bidirectional=True, dropout=0.3, window_norm="none")


class SequenceClassifier(SequenceEstimator):
    """Classifies whole sequences with a masked recurrent network.

    Two classes give a sigmoid output with binary cross-entropy, more a
    softmax with cross-entropy. Shorter sequences are padded and masked, never
    truncated. Inputs are standardised per channel with a scaler fit on the
    training cases' frames only (not the validation cases').

    Args:
        model: a `ModelConfig` (or its dict); default one bidirectional LSTM
            of 64 units with dropout 0.3. Stacked, GRU, peephole and
            bidirectional configs all work.
        scaler: "standard", "minmax" or "none", fit on the training frames.
        class_weight: None, "balanced" (weights inverse to class frequency,
            for imbalanced classes) or a dict label -> weight.
        epochs, batch_size, learning_rate, clipnorm, patience: training
            settings (see `TrainingConfig`); early stopping restores the best
            weights.
        validation: fraction of the training cases (stratified by class) held
            out for early stopping; 0 monitors the training loss.
        seed: seed for the split, weights and shuffling.
        verbose: Keras' verbosity ("auto" shows progress, 0 is quiet).
        callbacks: extra Keras callbacks (not saved in bundles).

    Attributes (after `fit`):
        classes_: the labels, sorted, as given (strings stay strings).
        model_: the trained `keras.Model`.
        scaler_: the fitted `data.Scaler`.
        features_: the input channel names.
        history_: per-epoch training logs.
        case_col_, time_col_: the case and frame-order columns of a long DataFrame
            given to fit (None otherwise); predict reads new frames with them.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 2)) + label for n, label in zip(rng.integers(5, 12, 40), [0, 3] * 20)]
    >>> y = ["low", "high"] * 20
    >>> clf = SequenceClassifier(epochs=3, verbose=0, seed=0).fit(X, y)
    >>> clf.classes_.tolist(), clf.predict_proba(X[:2]).shape
    (['high', 'low'], (2, 2))
    """

    DEFAULT_MODEL = DEFAULT_CLASSIFIER

    def __init__(
        self,
        model=None,
        scaler="standard",
        class_weight=None,
        epochs=150,
        batch_size=16,
        learning_rate=1e-3,
        clipnorm=1.0,
        patience=15,
        validation=0.1,
        seed=None,
        verbose="auto",
        callbacks=None,
    ):
        self._store_params(locals())

    def fit(self, X, y, case_col=None, time_col=None, features=None):
        """Trains on the sequences `X` and their labels `y`.

        Args:
            X: a 3-D array, a list of 2-D arrays of different lengths, or a
                long DataFrame (one row per frame) with `case_col`.
            y: one label per sequence; for a long DataFrame also the name of
                its label column (constant within each case).
            case_col, time_col, features: how to read a long DataFrame (see
                `data.sequences.as_sequences`).

        Returns:
            self.
        """
        sequences, labels = self._read(X, y, case_col, time_col, features, fitting=True)
        self.case_col_, self.time_col_ = case_col, time_col
        codec = LabelCodec.fit(labels)
        encoded = codec.encode(labels)
        train, val = self._split(encoded)
        scaler = fit_scaler([sequences[k] for k in train], self.scaler, self.features_)
        config = self._model_config()
        n_classes = len(codec.classes_)
        model = build_sequence_classifier(config, len(self.features_), n_classes)
        weights = self._weights(encoded, codec)
        loss = "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"
        metric = "binary_accuracy" if n_classes == 2 else "sparse_categorical_accuracy"

        def arrays(rows):
            padded, _ = pad([sequences[k] for k in rows], scaler)
            target = encoded[rows].astype("float32")[:, None] if n_classes == 2 else encoded[rows]
            return padded, target, weights[rows]

        history = self._train(
            model, self._training_config(loss=loss), arrays(train), arrays(val) if len(val) else None, metrics=(metric,)
        )
        self.model_, self.scaler_, self.codec_, self.history_ = model, scaler, codec, history
        self.classes_ = codec.classes_
        return self

    def _read(self, X, y, case_col, time_col, features, fitting):
        exclude = (y,) if isinstance(X, pd.DataFrame) and isinstance(y, str) else ()
        if not fitting:
            features = list(self.features_) if isinstance(X, pd.DataFrame) else None
        sequences, case_ids, names = as_sequences(X, case_col, time_col, features, exclude)
        if fitting:
            self.features_ = names
        else:
            check_channels(sequences, len(self.features_))
        if y is None:
            return sequences, None
        if exclude:
            labels = _case_labels(X, case_col, y, case_ids)
        else:
            labels = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else y)
            if labels.ndim != 1 or len(labels) != len(sequences):
                raise DataError(
                    f"`y` needs one label per sequence: {len(sequences)} sequences but y has shape {labels.shape}."
                )
        return sequences, labels

    def _split(self, encoded):
        rows = np.arange(len(encoded))
        fraction = self.validation or 0
        if not 0 <= fraction < 1:
            raise ConfigError(f"`validation` must be a fraction in [0, 1). Received: validation={self.validation!r}")
        n_val = int(round(len(rows) * fraction))
        if n_val == 0:
            return rows, rows[:0]
        counts = np.bincount(encoded)
        stratify = encoded if counts.min() >= 2 and n_val >= len(counts) else None
        train, val = train_test_split(rows, test_size=n_val, stratify=stratify, random_state=self.seed)
        return np.sort(train), np.sort(val)

    def _weights(self, encoded, codec):
        return per_class_weights(self.class_weight, encoded, codec)[encoded].astype("float32")

    def predict_proba(self, X):
        """Class probabilities, `(n_sequences, n_classes)` in the order of `classes_`; rows sum to 1."""
        self._check_fitted()
        sequences, _ = self._read(X, None, self.case_col_, self.time_col_, None, fitting=False)
        return self._proba(sequences)

    def _proba(self, sequences):
        padded, _ = pad(sequences, self.scaler_, length=bucket_length(sequences))
        probabilities = self._predict(padded).astype("float64")
        if probabilities.shape[1] == 1:
            probabilities = np.hstack([1.0 - probabilities, probabilities])
        return probabilities

    def predict(self, X):
        """The most probable label of each sequence, as given in fit."""
        probabilities = self.predict_proba(X)
        return self.codec_.decode(probabilities.argmax(axis=1))

    def score(self, X, y):
        """Accuracy on `(X, y)` (a label column name for a long DataFrame); unseen labels raise a `DataError`."""
        self._check_fitted()
        sequences, labels = self._read(X, y, self.case_col_, self.time_col_, None, fitting=False)
        expected = self.codec_.encode(labels)
        return float(np.mean(self._proba(sequences).argmax(axis=1) == expected))


def _case_labels(frame, case_col, label_col, case_ids):
    """One label per case from a long DataFrame's label column; it must not change within a case."""
    if label_col not in frame.columns:
        raise DataError(f"Label column {label_col!r} not found. Columns: {list(frame.columns)}.")
    per_case = frame.groupby(case_col, sort=False)[label_col]
    varying = per_case.nunique(dropna=False)
    varying = varying[varying > 1]
    if len(varying):
        raise DataError(
            f"Label column {label_col!r} changes within case(s) {varying.index.tolist()[:5]}: a sequence "
            "classifier needs one label per case. For a label per frame use SequenceLabeller."
        )
    labels = per_case.first()
    if labels.isna().any():
        raise DataError(
            f"Labels are missing in {label_col!r} for case(s) {labels[labels.isna()].index.tolist()[:10]}. "
            "Label every case."
        )
    return labels.loc[case_ids].to_numpy()
