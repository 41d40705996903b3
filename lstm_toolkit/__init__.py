"""lstm_toolkit: forecast time series with Keras LSTMs, the classic mistakes made impossible."""

from importlib import metadata as _metadata

from lstm_toolkit import data, datasets
from lstm_toolkit.errors import BundleError, ConfigError, DataError, LeakageWarning, NotFittedError
from lstm_toolkit.forecaster import Forecaster, load
from lstm_toolkit.models import ModelConfig, build_model
from lstm_toolkit.training import TrainingConfig, compile_model, fit

try:
    __version__ = _metadata.version("lstm-toolkit")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "BundleError",
    "ConfigError",
    "DataError",
    "Forecaster",
    "LeakageWarning",
    "ModelConfig",
    "NotFittedError",
    "TrainingConfig",
    "build_model",
    "compile_model",
    "data",
    "datasets",
    "fit",
    "load",
    "__version__",
]
