"""`SequenceClassifier`: one label per sequence (utterance, case, recording)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.model_selection import train_test_split

from lstm_toolkit.data.sequences import PAD_VALUE, as_sequences, bucket_length, check_channels, fit_scaler, pad
from lstm_toolkit.errors import CollapsedClassifierWarning, DataError, check_fraction, check_integer
from lstm_toolkit.models import ROCKET_ARCHITECTURES, FCNConfig, ModelConfig, build_sequence_classifier, fit_minirocket
from lstm_toolkit.sequences.estimator import LabelCodec, SequenceEstimator, per_class_weights
from lstm_toolkit.training import seed_weights

# MiniRocket (Dempster et al. 2021; see `models.rocket`): about 10,000 fixed random-convolution features and a
# ridge classifier, fitted in closed form. Chosen on the classification suite (benchmarks/classification_suite.py:
# Japanese vowels and three UCR sets, 3 seeds, next to 1-NN Euclidean and DTW and aeon's MiniRocket; issue 32,
# 2-core EPYC): 0.988, 0.863, 0.966 and 0.953 in 1-7 s a fit, where the LSTM-FCN ensemble below scored 0.992,
# 0.840, 0.960 and 0.847 in 46-121 s. The LSTM-FCN stays one argument away (`model=LSTM_FCN_CLASSIFIER`), for
# sets where a trained network pays (many cases, many channels) and for the tuner.
DEFAULT_CLASSIFIER = ModelConfig(architecture="minirocket", window_norm="none")
# LSTM-FCN (Karim et al. 2017): a convolutional branch beside an LSTM over the
# dimension-shuffled sequence, as a seed ensemble of three (members averaged): the
# default before MiniRocket. On the suite, one bidirectional LSTM(64) collapsed to one
# class on small sets of long univariate series, and one LSTM-FCN's accuracy swung by
# 0.2 between seeds on 36 training cases. Filters 32/64/32 (a quarter of the paper's
# 128/256/128) keep three members cheaper than one network of 64/128/64.
LSTM_FCN_CLASSIFIER = ModelConfig(
    architecture="lstm_fcn", units=(8,), dropout=0.8, fcn=FCNConfig(filters=(32, 64, 32), kernel_sizes=(8, 5, 3)), members=3,
    window_norm="none",
)
# The recurrent alternative: one bidirectional LSTM reads each whole sequence both ways;
# 0.98 on Japanese vowels, but it collapsed to one class on small sets of long univariate series.
RECURRENT_CLASSIFIER = ModelConfig(units=(64,), bidirectional=True, dropout=0.3, window_norm="none")
# The parameters of gradient training, which a closed-form fit (MiniRocket) does not use.
GRADIENT_SETTINGS = ("epochs", "batch_size", "learning_rate", "clipnorm", "patience", "callbacks")
# epochs="auto": about this many gradient steps, within these bounds: a few dozen
# cases get hundreds of epochs, thousands of cases a few dozen. Long sequences are
# capped at about FRAME_BUDGET frames read in all (cases x frames x epochs), which
# keeps a fit of the suite's longest set (OSULeaf, 200 x 427 frames) under two
# minutes on 2 cores.
STEP_BUDGET = 2000
FRAME_BUDGET = 6_000_000
AUTO_EPOCHS = (30, 800)


def auto_epochs(n_cases, batch_size, n_frames=None):
    """The epochs of `epochs="auto"`: about `STEP_BUDGET` gradient steps, and `FRAME_BUDGET` frames, within `AUTO_EPOCHS`.

    Args:
        n_cases: training cases.
        batch_size: cases per gradient step.
        n_frames: frames of all training cases together (None: no frame cap).

    >>> auto_epochs(36, 16), auto_epochs(200, 16), auto_epochs(200, 16, n_frames=200 * 427), auto_epochs(100_000, 16)
    (667, 154, 71, 30)
    """
    epochs = math.ceil(STEP_BUDGET / math.ceil(n_cases / batch_size))
    if n_frames:
        epochs = min(epochs, math.ceil(FRAME_BUDGET / n_frames))
    return int(np.clip(epochs, *AUTO_EPOCHS))


class SequenceClassifier(SequenceEstimator):
    """Classifies whole sequences: MiniRocket by default, or a trained LSTM-FCN, FCN or recurrent network.

    Two classes give a sigmoid output (binary cross-entropy for the trained
    networks), more a softmax. Shorter sequences are padded and masked, never
    truncated. Inputs are standardised per channel with a scaler fit on the
    training cases' frames only (not the validation cases').

    Args:
        model: a `ModelConfig` (or its dict). The default,
            `ModelConfig(architecture="minirocket")`, is MiniRocket (see
            `models.rocket`): fixed random convolutions and a ridge classifier,
            fitted in seconds with no gradient training, so `epochs`,
            `batch_size`, `learning_rate`, `clipnorm`, `patience` and
            `callbacks` do not apply to it (setting them warns). The trained networks:
            `LSTM_FCN_CLASSIFIER` (convolutional blocks of 32/64/32 filters
            beside an LSTM(8) over the dimension-shuffled sequence, three
            averaged; see `models.fcn`), `architecture="fcn"` (the
            convolutions alone), and the recurrent ("stacked") configs: LSTM,
            GRU, peephole, bidirectional (`RECURRENT_CLASSIFIER`).
        scaler: "standard", "minmax" or "none", fit on the training frames.
        class_weight: None, "balanced" (weights inverse to class frequency,
            for imbalanced classes) or a dict label -> weight.
        epochs: the most epochs; "auto" gives about `STEP_BUDGET` gradient
            steps (hundreds of epochs for a few dozen cases, fewer for more),
            and at most about `FRAME_BUDGET` frames read (long sequences).
        batch_size, learning_rate, clipnorm: training settings (see `TrainingConfig`).
        patience: epochs without improvement before early stopping (which
            restores the best weights; the learning rate halves after half
            as many); "auto" is a quarter of the epochs.
        validation: fraction of the training cases (stratified by class) held
            out for early stopping (MiniRocket: scored into `history_`). The
            default 0 trains on every case and monitors the training loss
            (MiniRocket chooses its penalty by leave-one-out error): with a few
            dozen cases a held-out handful says little and costs a tenth of the data. A classifier
            that ends up predicting one class for every training case warns
            (`CollapsedClassifierWarning`).
        seed: seed for the split, weights and shuffling.
        verbose: Keras' verbosity ("auto" shows progress, 0 is quiet).
        callbacks: extra Keras callbacks (not saved in bundles).

    Attributes (after `fit`):
        classes_: the labels, sorted, as given (strings stay strings).
        model_: the trained `keras.Model`.
        scaler_: the fitted `data.Scaler`.
        features_: the input channel names.
        history_: per-epoch training logs; for MiniRocket one entry each: the
            ridge's `alpha`, the probabilities' `temperature`, the out-of-fold
            `oof_accuracy` and `oof_log_loss` (and `val_accuracy`, `val_loss`
            with validation cases).
        length_: the longest training sequence (the LSTM-FCN branch reads that
            many steps; MiniRocket's dilations span it).
        case_col_, time_col_: the case and frame-order columns of a long DataFrame
            given to fit (None otherwise); predict reads new frames with them.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 2)) + label for n, label in zip(rng.integers(5, 12, 40), [0, 3] * 20)]
    >>> y = ["low", "high"] * 20
    >>> clf = SequenceClassifier(seed=0).fit(X, y)
    >>> clf.classes_.tolist(), clf.predict_proba(X[:2]).shape
    (['high', 'low'], (2, 2))
    """

    DEFAULT_MODEL = DEFAULT_CLASSIFIER

    def __init__(
        self,
        model=None,
        scaler="standard",
        class_weight=None,
        epochs="auto",
        batch_size=16,
        learning_rate=1e-3,
        clipnorm=1.0,
        patience="auto",
        validation=0.0,
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
        train, validation = self.prepare(X, y, case_col, time_col, features)
        frames = int(np.any(train[0] != PAD_VALUE, axis=-1).sum())  # real (unpadded) training frames
        # Checked whichever way it trains: an invalid setting is refused even where MiniRocket would not read it.
        config = self._training_config(loss=self.loss_, **self._schedule(len(train[0]), frames))
        seed_weights(config.seed)  # before the weights are drawn
        model = self.build_network()
        closed_form = self._model_config().architecture in ROCKET_ARCHITECTURES
        if closed_form:
            self._warn_unused_training_settings()
            x, y, weights = train
            history = fit_minirocket(model, x, y, sample_weight=None if self.class_weight is None else weights, seed=config.seed)
        else:
            history = self._train(model, config, train, validation, metrics=(self.metric_,))
        self.use_trained_model(model, history)
        if closed_form and validation is not None:  # no epochs to monitor: the validation cases are scored once
            self.history_.update(self._validation_scores(validation))
        self._warn_if_collapsed(train[0])
        return self

    def _warn_unused_training_settings(self):
        """MiniRocket is fitted in closed form: training settings changed from their defaults would silently do nothing."""
        defaults = self._param_defaults()
        changed = [name for name in GRADIENT_SETTINGS if getattr(self, name) != defaults[name]]
        if changed:
            warnings.warn(
                f"architecture='minirocket' is fitted in closed form (no gradient training): {', '.join(changed)} "
                "do not apply to it. Leave them at their defaults, or pass a trained network "
                "(model=LSTM_FCN_CLASSIFIER) to use them.",
                UserWarning,
                stacklevel=3,
            )

    # --- the prepared problem: the seams the tuner (and any custom training loop) use ----------

    def prepare(self, X, y, case_col=None, time_col=None, features=None):
        """Everything `fit` learns except the weights; returns the training and validation arrays.

        Reads and checks the sequences, encodes the labels (`classes_`),
        splits off the validation cases, fits the scaler on the training
        cases' frames and notes the longest sequence (`length_`, the LSTM-FCN
        branch's length). Then `build_network` and `use_trained_model` do the rest.

        Returns:
            `(train, validation)`: each `(x, y, sample_weight)` arrays, `x` the
            scaled sequences padded to one length; validation is None without
            validation cases.
        """
        sequences, labels = self._read(X, y, case_col, time_col, features, fitting=True)
        self.model_ = None  # a new problem: an earlier model no longer fits it
        self.case_col_, self.time_col_ = case_col, time_col
        self.codec_ = LabelCodec.fit(labels)
        self.classes_ = self.codec_.classes_
        encoded = self.codec_.encode(labels)
        train, val = self._split(encoded)
        self.class_counts_ = np.bincount(encoded[train], minlength=len(self.classes_)).tolist()  # `evaluate`'s prior
        self.scaler_ = fit_scaler([sequences[k] for k in train], self.scaler, self.features_)
        self.length_ = max(len(s) for s in sequences)
        weights = self._weights(encoded, self.codec_)
        binary = len(self.classes_) == 2

        def arrays(rows):
            padded, _ = pad([sequences[k] for k in rows], self.scaler_)
            target = encoded[rows].astype("float32")[:, None] if binary else encoded[rows]
            return padded, target, weights[rows]

        return arrays(train), (arrays(val) if len(val) else None)

    @property
    def loss_(self):
        """The Keras loss of the prepared problem: binary cross-entropy for two classes, else sparse categorical."""
        return "binary_crossentropy" if len(self.classes_) == 2 else "sparse_categorical_crossentropy"

    @property
    def metric_(self):
        """The Keras accuracy metric that goes with `loss_`."""
        return "binary_accuracy" if len(self.classes_) == 2 else "sparse_categorical_accuracy"

    def build_network(self, model_config=None):
        """A new, uncompiled Keras model for the prepared problem, with `model_config` (default the `model` parameter)."""
        config = self._model_config() if model_config is None else model_config
        return build_sequence_classifier(config, len(self.features_), len(self.classes_), length=self.length_)

    def use_trained_model(self, model, history, model_config=None):
        """Adopts a model trained on the prepared problem (e.g. a tuner's best trial); returns self.

        `model_config`: the `ModelConfig` it was built with, which becomes the `model` parameter.
        """
        if model_config is not None:
            self.model = model_config
        return self._adopt(model, history)

    def _validation_scores(self, validation):
        """`{"val_accuracy": [..], "val_loss": [..]}` of the fitted model on the validation arrays."""
        from sklearn.metrics import accuracy_score, log_loss

        probabilities = self._padded_proba(validation[0])
        probabilities /= probabilities.sum(axis=1, keepdims=True)  # float32 softmax rows, summed in float64
        expected = np.asarray(validation[1]).reshape(-1).astype(int)
        labels = np.arange(len(self.classes_))
        return {"val_accuracy": [float(accuracy_score(expected, probabilities.argmax(axis=1)))],
                "val_loss": [float(log_loss(expected, probabilities, labels=labels))]}

    def _schedule(self, n_train, n_frames=None):
        """The epochs and patience of a fit on `n_train` cases of `n_frames` frames in all, with "auto" resolved."""
        batch = check_integer(self.batch_size, "batch_size")  # read by "auto" epochs before `TrainingConfig` checks it
        epochs = auto_epochs(n_train, batch, n_frames) if self.epochs == "auto" else self.epochs
        patience = max(10, epochs // 4) if self.patience == "auto" else self.patience
        patience = check_integer(patience, "patience", also=" or 'auto'")
        return {"epochs": epochs, "patience": patience}

    def _warn_if_collapsed(self, x):
        """Warns when the fitted model predicts one class for all training cases `x` (see `CollapsedClassifierWarning`)."""
        predicted = np.unique(self._padded_proba(x).argmax(axis=1))
        if len(predicted) == 1:
            warnings.warn(
                f"The fitted classifier predicts {self.classes_.tolist()[predicted[0]]!r} for all {len(x)} training cases: "
                "it has collapsed to one class. Train longer (`epochs`), lower `learning_rate`, try "
                "class_weight='balanced' or another seed; check that the inputs differ between classes.",
                CollapsedClassifierWarning,
                stacklevel=3,
            )

    def _read(self, X, y, case_col, time_col, features, fitting):
        exclude = (y,) if isinstance(X, pd.DataFrame) and isinstance(y, str) else ()
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
        fraction = check_fraction(self.validation, "validation")
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
        sequences, _ = self._read(X, None, *self._reading(X), fitting=False)
        return self._proba(sequences)

    def _proba(self, sequences):
        padded, _ = pad(sequences, self.scaler_, length=bucket_length(sequences))
        return self._padded_proba(padded)

    def _padded_proba(self, padded):
        """Class probabilities of scaled, padded sequences (a sigmoid output becomes two columns)."""
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
        expected, probabilities = self._scored(X, y)
        return float(np.mean(probabilities.argmax(axis=1) == expected))

    def evaluate(self, X, y):
        """Accuracy, balanced accuracy, macro F1 and log loss on `(X, y)`, for the model and the training prior.

        The "prior" row forecasts every sequence with the class shares of the
        training cases (its label: the most frequent class): the floor a
        classifier has to clear. It is NaN for a bundle saved before those
        shares were kept.

        Returns:
            A DataFrame indexed by model, prior, with the columns accuracy,
            balanced_accuracy, macro_f1, log_loss and n_sequences.
        """
        expected, probabilities = self._scored(X, y)
        counts = self.class_counts_  # None for a bundle saved before they were kept
        rows = {"model": probabilities}
        if counts:
            rows["prior"] = np.tile(np.asarray(counts, dtype="float64") / sum(counts), (len(expected), 1))
        labels = list(range(len(self.classes_)))

        def scores(probabilities):  # scikit-learn's log loss clips probabilities of 0 and 1 itself
            predicted = probabilities.argmax(axis=1)
            return {"accuracy": metrics.accuracy_score(expected, predicted),
                    "balanced_accuracy": metrics.balanced_accuracy_score(expected, predicted),
                    "macro_f1": metrics.f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
                    "log_loss": metrics.log_loss(expected, probabilities, labels=labels),
                    "n_sequences": len(expected)}

        table = {name: scores(probabilities) for name, probabilities in rows.items()}
        return pd.DataFrame.from_dict(table, orient="index").reindex(["model", "prior"])

    def _scored(self, X, y):
        """`(encoded labels, class probabilities)` of `(X, y)`."""
        self._check_fitted()
        sequences, labels = self._read(X, y, *self._reading(X), fitting=False)
        return self.codec_.encode(labels), self._proba(sequences)


def _case_labels(frame, case_col, label_col, case_ids):
    """One label per case from a long DataFrame's label column; it must not change within a case."""
    if label_col not in frame.columns:
        raise DataError(f"Label column {label_col!r} not found. Columns: {list(frame.columns)}.")
    missing = frame[label_col].isna().groupby(frame[case_col], sort=False).any()
    if missing.any():  # before the check below, which would call a case labelled on some rows "changing"
        raise DataError(
            f"Labels are missing in {label_col!r} for case(s) {missing[missing].index.tolist()[:10]}. "
            "Label every case, on each of its rows."
        )
    per_case = frame.groupby(case_col, sort=False)[label_col]
    varying = per_case.nunique()
    varying = varying[varying > 1]
    if len(varying):
        raise DataError(
            f"Label column {label_col!r} changes within case(s) {varying.index.tolist()[:5]}: a sequence "
            "classifier needs one label per case. For a label per frame use SequenceLabeller."
        )
    return per_case.first().loc[case_ids].to_numpy()
