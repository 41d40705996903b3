"""lstm_toolkit: forecast time series with Keras LSTMs, the classic mistakes made impossible."""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from importlib import metadata as _metadata

from lstm_toolkit.errors import (
    MISSING_BACKEND,
    BundleError,
    ConfigError,
    CuDNNWarning,
    DataError,
    IrregularTimestampsWarning,
    LeakageWarning,
    MissingTimestampsWarning,
    NotFittedError,
    ReferenceFallbackWarning,
    ShortLookbackWarning,
    SlowKernelsWarning,
)

# TensorFlow is an extra (`[cpu]` or `[gpu]`) so that pip never installs both wheels;
# without either, say so at once rather than with a bare ModuleNotFoundError later.
if importlib.util.find_spec("tensorflow") is None:
    raise ImportError(MISSING_BACKEND)

try:
    __version__ = _metadata.version("lstm-toolkit")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# Public names are imported on first use, so `import lstm_toolkit` (and the CLI's
# --help) stays fast and TensorFlow loads only when something needs it.
_LAZY = {
    "Forecaster": "lstm_toolkit.forecasting.forecaster",
    "load": "lstm_toolkit.bundle",
    "ModelConfig": "lstm_toolkit.models",
    "SegmentConfig": "lstm_toolkit.models",
    "FCNConfig": "lstm_toolkit.models",
    "build_model": "lstm_toolkit.models",
    "TrainingConfig": "lstm_toolkit.training",
    "compile_model": "lstm_toolkit.training",
    "fit": "lstm_toolkit.training",
    "tune": "lstm_toolkit.tuning",
    "SearchSpace": "lstm_toolkit.tuning",
    "SequenceClassifier": "lstm_toolkit.sequences.classifier",
    "SequenceLabeller": "lstm_toolkit.sequences.labeller",
    "AnomalyDetector": "lstm_toolkit.sequences.anomaly",
    "FrameForecaster": "lstm_toolkit.frames",
}
_SUBMODULES = (
    "data",
    "datasets",
    "metrics",
    "plotting",
    "models",
    "training",
    "bundle",
    "tuning",
    "forecasting",
    "sequences",
    "frames",
    "serving",
    "gates",
    "backend",
    "base",
    "atomic",
)

# Modules that moved into the package's rooms (issue 33): the old path -> the new one. The old paths
# import the new module, with a DeprecationWarning, until they are removed.
MOVED_MODULES = {
    "forecaster": "forecasting.forecaster",
    "many_series": "forecasting.many_series",
    "baselines": "forecasting.baselines",
    "probabilistic": "forecasting.probabilistic",
    "forecasting.base": "forecasting.estimator",
    "models.forecasting": "models.forecast_networks",
    "classification": "sequences.classifier",
    "labelling": "sequences.labeller",
    "anomaly": "sequences.anomaly",
    "estimators": "sequences.estimator",
    "tbptt": "training.tbptt",
    "distributed": "training.distributed",
    "streaming": "serving.streaming",
    "kernels": "serving.kernels",
    "export": "serving.export",
    "inspect": "gates",
    "cells": "models.cells",
    "data.calendar": "data.time_features",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports `lstm_toolkit.<old path>` as the module it moved to, with a `DeprecationWarning`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(__name__ + ".") and fullname[len(__name__) + 1 :] in MOVED_MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        old = spec.name[len(__name__) + 1 :]
        new = f"{__name__}.{MOVED_MODULES[old]}"
        warnings.warn(
            f"`{spec.name}` moved to `{new}`: import from there (or the public names from `lstm_toolkit`). "
            "The old path will be removed in a future release.",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(new)
        spec.loader_state = module.__spec__  # importlib puts the old path's spec on the module: put it back
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state  # the module itself was executed under its new path


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())  # before any finder that might see a stale copy of an old file


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES or name in MOVED_MODULES:
        return importlib.import_module(f"lstm_toolkit.{name}")
    raise AttributeError(f"module 'lstm_toolkit' has no attribute {name!r}")


def __dir__():
    # The public names and the rooms, as tab completion should offer them: not the modules this file imports for
    # itself (importlib, sys, warnings) nor the moved paths, which are deprecated.
    return sorted(set(__all__) | set(_LAZY) | set(_SUBMODULES))


__all__ = [
    "AnomalyDetector",
    "BundleError",
    "ConfigError",
    "CuDNNWarning",
    "SlowKernelsWarning",
    "DataError",
    "Forecaster",
    "FrameForecaster",
    "FCNConfig",
    "IrregularTimestampsWarning",
    "LeakageWarning",
    "MissingTimestampsWarning",
    "ModelConfig",
    "NotFittedError",
    "ReferenceFallbackWarning",
    "ShortLookbackWarning",
    "SearchSpace",
    "SegmentConfig",
    "SequenceClassifier",
    "SequenceLabeller",
    "TrainingConfig",
    "__version__",
    "build_model",
    "compile_model",
    "fit",
    "load",
    "tune",
]
