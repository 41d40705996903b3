"""lstm_toolkit: forecast time series with Keras LSTMs, the classic mistakes made impossible."""

import importlib
import importlib.util
from importlib import metadata as _metadata

from lstm_toolkit.errors import (
    MISSING_BACKEND,
    BundleError,
    ConfigError,
    CuDNNWarning,
    DataError,
    LeakageWarning,
    NotFittedError,
    ReferenceFallbackWarning,
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
    "Forecaster": "lstm_toolkit.forecaster",
    "load": "lstm_toolkit.base",
    "ModelConfig": "lstm_toolkit.models",
    "build_model": "lstm_toolkit.models",
    "TrainingConfig": "lstm_toolkit.training",
    "compile_model": "lstm_toolkit.training",
    "fit": "lstm_toolkit.training",
    "tune": "lstm_toolkit.tuning",
    "SearchSpace": "lstm_toolkit.tuning",
    "SequenceClassifier": "lstm_toolkit.classification",
    "SequenceLabeller": "lstm_toolkit.labelling",
    "AnomalyDetector": "lstm_toolkit.anomaly",
    "FrameForecaster": "lstm_toolkit.frames",
}
_SUBMODULES = (
    "data",
    "datasets",
    "metrics",
    "baselines",
    "plotting",
    "models",
    "training",
    "bundle",
    "tuning",
    "kernels",
    "tbptt",
    "streaming",
    "export",
    "cells",
    "inspect",
    "classification",
    "labelling",
    "anomaly",
    "estimators",
    "frames",
    "backend",
    "base",
    "atomic",
)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"lstm_toolkit.{name}")
    raise AttributeError(f"module 'lstm_toolkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = [
    "AnomalyDetector",
    "BundleError",
    "ConfigError",
    "CuDNNWarning",
    "SlowKernelsWarning",
    "DataError",
    "Forecaster",
    "FrameForecaster",
    "LeakageWarning",
    "ModelConfig",
    "NotFittedError",
    "ReferenceFallbackWarning",
    "SearchSpace",
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
