"""The base of every estimator: parameters, clone, repr, fitted checks, training settings and the bundle.

`Forecaster`, `FrameForecaster`, `SequenceClassifier`, `SequenceLabeller` and
`AnomalyDetector` all derive from `Estimator`, as scikit-learn's estimators do
from `BaseEstimator`: `__init__` stores its arguments under their own names
(`_store_params(locals())`) and does nothing else; `get_params` /
`set_params` read and write them, so `sklearn.base.clone` gives an unfitted
copy; learned state lives in attributes ending in `_`. Each estimator saves to a bundle of its kind (`save`), and
`lstm_toolkit.load(path)` (`bundle.load`) restores any bundle as the estimator that wrote it.

Example:

>>> from sklearn.base import clone
>>> from lstm_toolkit import SequenceClassifier
>>> classifier = SequenceClassifier(epochs=5, seed=0)
>>> clone(classifier)
SequenceClassifier(epochs=5, seed=0)
>>> classifier.set_params(epochs=3).get_params()["epochs"]
3
"""

from __future__ import annotations

import inspect

from lstm_toolkit import bundle
from lstm_toolkit.backend import keras
from lstm_toolkit.errors import BundleError, ConfigError, NotFittedError
from lstm_toolkit.models import ModelConfig
from lstm_toolkit.training import TrainingConfig

# Parameters that hold live objects: never saved, None in a loaded estimator.
UNSAVED_PARAMS = ("callbacks", "distribution")


def check_callbacks(callbacks):
    """Refuses `callbacks` that are not a list (or tuple) of Keras callbacks, before any training.

    >>> check_callbacks("early")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `callbacks` must be a list of keras.callbacks.Callback objects (or None). Received: 'early'
    """
    if callbacks is None:
        return
    if not isinstance(callbacks, (list, tuple)) or not all(isinstance(c, keras.callbacks.Callback) for c in callbacks):
        raise ConfigError(f"`callbacks` must be a list of keras.callbacks.Callback objects (or None). "
                          f"Received: {callbacks!r}")


class Estimator:
    """Base of the toolkit's estimators (see the module docstring).

    Subclasses set `DEFAULT_MODEL`, and implement `fit`, `_state()` (the fitted
    attributes as JSON) and `_set_state(state)`.
    """

    DEFAULT_MODEL = ModelConfig()

    # --- parameters ---------------------------------------------------------------

    @classmethod
    def _param_defaults(cls):
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        return {p.name: p.default for p in parameters}

    def _store_params(self, arguments):
        """Stores the constructor's arguments under their own names: `__init__` calls it with `locals()`, nothing else."""
        for name in self._param_defaults():
            setattr(self, name, arguments[name])

    def get_params(self, deep=True):
        """The constructor arguments, as given (`deep` is accepted for scikit-learn's `clone`)."""
        return {name: getattr(self, name) for name in self._param_defaults()}

    def set_params(self, **params):
        """Sets constructor arguments by name; returns self (as scikit-learn's estimators do)."""
        unknown = sorted(set(params) - set(self._param_defaults()))
        if unknown:
            raise ConfigError(f"Unknown parameter(s) {unknown} for {type(self).__name__}. Valid: {list(self._param_defaults())}.")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = self._param_defaults()
        changed = [f"{name}={value!r}" for name, value in self.get_params().items() if not _same(value, defaults[name])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _model_config(self):
        if self.model is None:
            return self.DEFAULT_MODEL
        if isinstance(self.model, dict):
            return ModelConfig.from_dict(self.model)
        if isinstance(self.model, ModelConfig):
            return self.model
        raise ConfigError(f"`model` must be a ModelConfig, a dict or None. Received: {type(self.model).__name__}")

    def _training_config(self, **overrides):
        """The `TrainingConfig` of the constructor's training parameters; `overrides` replace them (resolved "auto" values)."""
        settings = dict(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            clipnorm=self.clipnorm,
            patience=self.patience,
            seed=self.seed,
            verbose=self.verbose,
        )
        settings.update(overrides)
        check_callbacks(getattr(self, "callbacks", None))
        return TrainingConfig(**settings)

    @property
    def is_fitted(self):
        """True once `fit` (or `load`) has given the estimator a trained model."""
        return getattr(self, "model_", None) is not None

    def _adopt(self, model, history):
        """Takes a trained model and its per-epoch logs as the fitted model (`fit`, a tuner's best trial)."""
        self.model_ = model
        self.history_ = {key: [float(v) for v in values] for key, values in dict(history).items()}
        return self

    def _check_fitted(self):
        if not self.is_fitted:
            name = type(self).__name__
            raise NotFittedError(
                f"This {name} is not fitted yet. Call `fit(data)` first, or load a saved one with `{name}.load(path)`."
            )

    def _state(self):
        """The fitted attributes as JSON-safe data (the bundle's state); each estimator defines it."""
        raise NotImplementedError

    def _set_state(self, state):
        """Restores the fitted attributes from `_state()`'s data; each estimator defines it."""
        raise NotImplementedError

    # --- the bundle -----------------------------------------------------------------

    def to_bundle(self):
        """`(params, state)`: the constructor arguments and the fitted state, both JSON-safe.

        What `save` writes beside the Keras model; `from_bundle` reads it back.
        An estimator that holds another (the anomaly detector's forecaster)
        saves it through this.
        """
        self._check_fitted()
        params = self.get_params()
        if "model" in params:
            params["model"] = self._model_config().to_dict() if self.model is not None else None
        for name in UNSAVED_PARAMS:
            if name in params:
                params[name] = None
        params = {name: list(value) if isinstance(value, tuple) else value for name, value in params.items()}
        return params, self._state()

    @classmethod
    def from_bundle(cls, model, params, state, source="the bundle"):
        """An estimator with the constructor arguments `params`, the trained `model` and the fitted `state`."""
        defaults = cls._param_defaults()
        params = dict(params)
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise BundleError(f"{source} holds parameters {unknown} that {cls.__name__} does not take. Save the model again.")
        if params.get("model") is not None:
            params["model"] = ModelConfig.from_dict(params["model"])
        for name, value in params.items():
            if isinstance(defaults[name], tuple) and isinstance(value, list):
                params[name] = tuple(value)
        estimator = cls(**params)
        estimator.model_ = model
        try:
            estimator._set_state(state)
        except (KeyError, TypeError, ValueError) as error:
            raise BundleError(f"The estimator state in {source} is incomplete ({error!r}). Save the model again.") from None
        return estimator

    def save(self, path):
        """Writes the fitted estimator to the folder `path` as a bundle, atomically; returns its path.

        The bundle is the Keras model (`model.keras`, loaded with
        `safe_mode=True`), the parameters and fitted state as JSON, and a
        manifest with checksums: no pickle.

        After a multi-worker training only the chief writes; the other
        workers write nothing and return None (see `lstm_toolkit.training.distributed`).
        """
        from lstm_toolkit.training import distributed

        if not distributed.is_chief(getattr(self, "distribution", None)):
            return None
        params, state = self.to_bundle()
        return bundle.save_bundle(path, self.model_, type(self).__name__, params=params, state=state)

    @classmethod
    def load(cls, path):
        """Restores an estimator of this class saved with `save`; its predictions are identical.

        A bundle of another estimator is refused with a `BundleError`; `lstm_toolkit.load(path)` loads any.
        """
        model, payload = bundle.load_bundle(path, estimator=cls.__name__)
        return cls.from_bundle(model, payload["params"], payload["state"], source=str(path))


def _same(value, default):
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and other values without a plain truth value
        return value is default
