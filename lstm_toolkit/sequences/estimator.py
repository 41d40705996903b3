"""What the sequence estimators share: parameters, label encoding, training and the bundle.

`SequenceClassifier`, `SequenceLabeller` and `AnomalyDetector` follow the
Forecaster's conventions: scikit-learn style (`get_params`, fitted attributes
ending in `_`), Adam with gradient clipping and the default callbacks, and the
same safe bundle (model.keras + JSON, no pickle, atomic writes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.class_weight import compute_class_weight

from lstm_toolkit.backend import compiled, tf
from lstm_toolkit.base import Estimator
from lstm_toolkit.data.scaling import Scaler
from lstm_toolkit.data.sequences import frames_batch_size
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.models.ensemble import member_targets, members_model
from lstm_toolkit.training import compile_model, default_callbacks, fit, seed_weights


class LabelCodec:
    """Maps labels as given (strings, integers) to class indices and back.

    Example:
    >>> codec = LabelCodec.fit(["cat", "dog", "cat"])
    >>> codec.classes_.tolist(), codec.encode(["dog"]).tolist(), codec.decode([0]).tolist()
    (['cat', 'dog'], [1], ['cat'])
    """

    def __init__(self, classes):
        self.classes_ = np.asarray(classes)
        self._index = {label: position for position, label in enumerate(self.classes_.tolist())}

    @classmethod
    def fit(cls, labels):
        labels = _label_array(labels)
        try:
            classes = np.unique(labels)
        except TypeError:
            raise DataError("Labels mix types that cannot be ordered (e.g. numbers and strings). Use one type.") from None
        if len(classes) < 2:
            raise DataError(
                f"Only one class ({classes.tolist()[0]!r}) in the labels: a classifier needs at least two. "
                "Check the label column or add cases of the other classes."
            )
        return cls(classes)

    def encode(self, labels):
        """Class indices of `labels`; a label not seen in fit raises a `DataError`."""
        labels = _label_array(labels)
        unseen = sorted({label for label in labels.tolist() if label not in self._index}, key=str)
        if unseen:
            raise DataError(
                f"Label(s) {unseen[:10]} were not among the classes seen in fit {self.classes_.tolist()}. "
                "Evaluate on the same classes, or refit with them."
            )
        return np.array([self._index[label] for label in labels.tolist()], dtype="int32")

    def decode(self, indices):
        return self.classes_[np.asarray(indices, dtype="int64")]

    def to_list(self):
        return self.classes_.tolist()


def per_class_weights(class_weight, encoded, codec):
    """The weight of each class, in `codec.classes_` order, from a `class_weight` parameter.

    Args:
        class_weight: None (all 1), "balanced" (inverse to class frequency in
            `encoded`) or a dict {label: weight} (labels as given; others 1).
        encoded: the class indices of the training labels.
        codec: the fitted `LabelCodec`.

    Example:
    >>> codec = LabelCodec.fit(["a", "b", "b", "b"])
    >>> per_class_weights({"a": 3}, codec.encode(["a", "b", "b", "b"]), codec).tolist()
    [3.0, 1.0]
    """
    n_classes = len(codec.classes_)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str) and class_weight == "balanced":
        return compute_class_weight("balanced", classes=np.arange(n_classes), y=np.asarray(encoded))
    if isinstance(class_weight, dict):
        weights = np.ones(n_classes)
        for label, weight in class_weight.items():
            weights[codec.encode([label])[0]] = float(weight)
        return weights
    raise ConfigError(f"`class_weight` must be None, 'balanced' or a dict {{label: weight}}. Received: {class_weight!r}")


def _label_array(labels):
    labels = np.asarray(labels.to_numpy() if isinstance(labels, (pd.Series, pd.Index)) else labels)
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise DataError(f"Labels are missing (NaN) at position(s) {np.flatnonzero(np.isnan(labels))[:10].tolist()}. Label every case.")
    if labels.dtype == object:
        missing = [k for k, label in enumerate(labels.tolist()) if label is None or (isinstance(label, float) and np.isnan(label))]
        if missing:
            raise DataError(f"Labels are missing at position(s) {missing[:10]}. Label every case.")
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype("int64")  # 1.0, 2.0 read from a CSV are the classes 1 and 2
    return labels


class SequenceEstimator(Estimator):
    """Base of the sequence estimators: the cached predict function, training with the defaults, label state.

    Parameters, clone, save and load come from `Estimator`. Subclasses set
    `DEFAULT_MODEL`, store every constructor argument under its own name (as
    scikit-learn does), and may override `_state()` / `_set_state(state)` for
    their fitted attributes (the default is a classifier's: classes, scaler,
    features, history, case and time columns).
    """

    def _reading(self, X):
        """`(case_col, time_col, features)` to read `X` after fit: a long DataFrame by the columns fit read; a 3-D
        array or a list of sequences by position, whatever fit was given (its channels are checked)."""
        if isinstance(X, pd.DataFrame) and self.case_col_ is None:
            raise DataError("This estimator was fit on sequences given as arrays, with no case column to read a long "
                            "DataFrame by: pass a 3-D array (cases, time, channels) or a list of (time, channels) "
                            "arrays, or fit on a long DataFrame with `case_col`.")
        if isinstance(X, pd.DataFrame):
            return self.case_col_, self.time_col_, list(self.features_)
        return None, None, None

    def _predict(self, x, batch_size=None):
        """The trained model on `x` in inference mode, through one cached `tf.function`.

        Unlike `model.predict`, new batch sizes and sequence lengths reuse the
        same trace (no retracing warnings, no per-call Keras loop). The default
        batch holds about `data.sequences.BATCH_FRAMES` frames (at most 256
        sequences), so that long sequences do not take a batch's activations past memory.
        """
        batch_size = batch_size or frames_batch_size(x.shape[1], most=256)
        cached = getattr(self, "_compiled", None)
        if cached is None or cached[0] is not self.model_:
            model = self.model_
            spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32)
            self._compiled = (model, compiled(lambda batch: model(batch, training=False), [spec]))
        function = self._compiled[1]
        return np.concatenate(
            [function(np.ascontiguousarray(x[i : i + batch_size], dtype="float32")).numpy() for i in range(0, len(x), batch_size)]
        )

    def _train(self, model, config, train, validation, metrics=("mae",)):
        """Compiles and fits `model`; `train`/`validation` are `(x, y, sample_weight)` arrays or datasets.

        Returns:
            The per-epoch logs as a dict of lists.
        """
        seed_weights(config.seed)  # the shuffles and dropout from the seed too
        if isinstance(train, tuple):
            n_samples = len(train[0])
            train = _batches(train, config.batch_size, shuffle=True, seed=config.seed)
            validation = None if validation is None else _batches(validation, config.batch_size)
        else:
            n_samples = None
        members = members_model(model)  # an ensemble trains each member on its own loss; `model` averages them
        if members is not model:
            k = len(members.outputs)
            train, validation = member_targets(train, k), member_targets(validation, k)
            model, metrics = members, ()
        compile_model(model, config, n_samples=n_samples, metrics=metrics)
        monitor = "loss" if validation is None else "val_loss"
        callbacks = default_callbacks(config, monitor=monitor) + list(self.callbacks or [])
        history = fit(model, train, validation=validation, config=config, callbacks=callbacks, replace_callbacks=True)
        return {name: [float(v) for v in values] for name, values in history.history.items()}

    # --- persistence --------------------------------------------------------------

    def _state(self):
        """The fitted attributes as JSON (the classifiers'; the anomaly detector adds its own)."""
        return {
            "classes": self.codec_.to_list(),
            "scaler": self.scaler_.to_dict(),
            "features": list(self.features_),
            "history": self.history_,
            "case_col": self.case_col_,
            "time_col": self.time_col_,
            "class_counts": self.class_counts_,
        }

    def _set_state(self, state):
        self.codec_ = LabelCodec(state["classes"])
        self.classes_ = self.codec_.classes_
        self.scaler_ = Scaler.from_dict(state["scaler"])
        self.features_ = tuple(state["features"])
        self.history_ = state["history"]
        self.case_col_, self.time_col_ = state["case_col"], state["time_col"]
        self.class_counts_ = state.get("class_counts")  # the training labels' counts; None in older bundles


def _batches(arrays, batch_size, shuffle=False, seed=None):
    """Batches of `(x, y[, sample_weight])` arrays; training batches are reshuffled every epoch."""
    dataset = tf.data.Dataset.from_tensor_slices(tuple(arrays))
    if shuffle:
        dataset = dataset.shuffle(len(arrays[0]), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
